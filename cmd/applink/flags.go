package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// printFlags lists the flags of fs spelled as the usage line spells them
// ("--jira-url URL"), with their help and any default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		typ, help := flag.UnquoteUsage(f)
		if typ != "" {
			typ = " " + typ
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s", f.Name, typ, help)
		if !slices.Contains([]string{"", "0", "0s", "false"}, f.DefValue) {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// badValue is a flag value that its flag refused while parsing.
type badValue struct {
	flag  *flag.Flag
	value string
	err   error
}

// watchedValue records the value its flag refuses, so that the error can
// name the flag and suggest a fix without reading the flag package's prose.
type watchedValue struct {
	flag.Value
	f   *flag.Flag
	bad *badValue
}

func (v watchedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err != nil {
		*v.bad = badValue{v.f, s, err}
	}
	return err
}

// IsBoolFlag keeps boolean flags usable without a value.
func (v watchedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// parseWatched parses args with every flag's value watched, and returns
// the refused value, if any, with the parse error.
func parseWatched(fs *flag.FlagSet, args []string) (*badValue, error) {
	var bad badValue
	fs.VisitAll(func(f *flag.Flag) { f.Value = watchedValue{f.Value, f, &bad} })
	err := fs.Parse(args)
	fs.VisitAll(func(f *flag.Flag) { f.Value = f.Value.(watchedValue).Value })
	if bad.flag == nil {
		return nil, err
	}
	return &bad, err
}

// flagError says what is wrong with the flags, spelling them with "--" as
// the usage does, and suggests the closest flag for a mistyped one.
func flagError(fs *flag.FlagSet, bad *badValue, err error) string {
	if bad != nil {
		name := "--" + bad.flag.Name
		var kind any
		if g, ok := bad.flag.Value.(flag.Getter); ok {
			kind = g.Get()
		}
		switch kind.(type) {
		case time.Duration:
			if _, numErr := strconv.ParseFloat(bad.value, 64); numErr == nil {
				return name + " needs a unit, such as 10m or 90s"
			}
			return fmt.Sprintf("%s %q is not a duration, such as 10m or 90s", name, bad.value)
		case int:
			return fmt.Sprintf("%s %q is not a whole number", name, bad.value)
		case bool:
			return fmt.Sprintf("%s=%s: give true or false, or --%s alone", name, bad.value, bad.flag.Name)
		}
		return fmt.Sprintf("%s %q: %v", name, bad.value, bad.err)
	}
	// The flag package has no error types for these two; its messages are
	// "flag provided but not defined: -NAME" and "flag needs an argument: -NAME".
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := closest(name, names); near != "" {
			return fmt.Sprintf("unknown flag --%s; did you mean --%s?", name, near)
		}
		return "unknown flag --" + name
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "--" + name + " needs a value"
	}
	return msg
}

// requireFlags reports, in one usage error, every flag of names that was
// not given a value; "a|b" means either of the two.
func requireFlags(e env, fs *flag.FlagSet, names ...string) (code int, ok bool) {
	var missing []string
	for _, n := range names {
		alts := strings.Split(n, "|")
		given := false
		for _, a := range alts {
			given = given || strings.TrimSpace(fs.Lookup(a).Value.String()) != ""
		}
		if !given {
			missing = append(missing, "--"+strings.Join(alts, " or --"))
		}
	}
	if len(missing) == 0 {
		return 0, true
	}
	list := missing[len(missing)-1]
	if len(missing) > 1 {
		list = strings.Join(missing[:len(missing)-1], ", ") + " and " + list
	}
	return usageError(e, fs, "missing %s", list), false
}

// closest returns the candidate nearest to word (a typo of one or two
// letters, or the start of a name), or "" when none is near.
func closest(word string, candidates []string) string {
	best, bestDist := "", 3
	if len(word) <= 3 {
		bestDist = 2
	}
	for _, c := range candidates {
		d := editDistance(word, c)
		if len(word) >= 2 && strings.HasPrefix(c, word) {
			d = 1
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
