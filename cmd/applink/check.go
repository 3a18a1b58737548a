package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
)

// checkOptions are the flags of `applink check`.
type checkOptions struct {
	consumerFlags
	caFile  string
	json    bool
	timeout time.Duration
}

// bind declares the flags on fs.
func (o *checkOptions) bind(fs *flag.FlagSet) {
	o.consumerFlags.bind(fs)
	fs.StringVar(&o.caFile, "ca-file", "", "PEM file of the CA certificates that signed Jira's certificate, trusted besides the system's")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.DurationVar(&o.timeout, "timeout", oauth.DefaultTimeout, "give up on each call to Jira after this long")
}

// runCheck checks a link without a person: `applink check`. Exit 0 when
// the link is ready, 1 when there is any problem, 2 for a usage error.
// With --basic-user it checks an integration that logs in with Basic
// authentication instead (runCheckBasic, with its own flags and exit
// codes).
func runCheck(ctx context.Context, args []string, e env) int {
	if slices.ContainsFunc(args, func(a string) bool {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		return strings.HasPrefix(a, "-") && name == "basic-user"
	}) {
		return runCheckBasic(ctx, args, e)
	}
	fs := newFlagSet("check", "--jira-url URL (--key-dir DIR | --private-key FILE) --consumer-key KEY [--ca-file FILE] [--json] [--timeout D], or --jira-url URL --basic-user USER --password-env VAR --service-account WHO [--projects KEYS]", e)
	var o checkOptions
	o.bind(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if code, ok := requireFlags(e, fs, "jira-url", "key-dir|private-key", "consumer-key"); !ok {
		return code
	}
	if o.timeout <= 0 {
		return usageError(e, fs, "--timeout must be positive, such as 30s")
	}
	if o.keyDir != "" && o.privateKey != "" {
		return usageError(e, fs, "give exactly one of --key-dir and --private-key")
	}
	return checkKey(ctx, o, e)
}

// checkKey runs the key-based preflight (oauth.Consumer.Preflight).
func checkKey(ctx context.Context, o checkOptions, e env) int {
	const cmd = "check"
	c, _, err := o.load()
	if err == nil {
		c.HTTPClient, err = caClient(o.caFile)
	}
	if err != nil {
		printError(e.stderr, cmd, err)
		return exitFailure
	}
	c.Timeout = o.timeout
	res := c.Preflight(ctx, nil)
	for _, p := range res.Problems {
		p.Hint = oauth.HintFor(p, oauth.SurfaceCLI)
	}
	if o.json {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
	} else {
		printPreflight(e, c.Endpoints.Base, o.consumerKey, res)
	}
	if !res.OK {
		return exitFailure
	}
	return exitOK
}

// caClient returns nil (the default client), or one that trusts the CA
// certificates of file.
func caClient(file string) (*http.Client, error) {
	if file == "" {
		return nil, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fault.Wrap(err, oauth.CodeBadInput, fmt.Sprintf("cannot read the CA file %s", file),
			"give a readable PEM file of CA certificates with --ca-file")
	}
	defer f.Close()
	pem, err := io.ReadAll(io.LimitReader(f, oauth.MaxCAPEM+1))
	if err != nil {
		return nil, fault.Wrap(err, oauth.CodeBadInput, fmt.Sprintf("cannot read the CA file %s", file),
			"give a readable PEM file of CA certificates with --ca-file")
	}
	return oauth.ClientWithCA(nil, pem)
}

// printPreflight writes a preflight's result for people.
func printPreflight(e env, base, consumerKey string, res *oauth.PreflightResult) {
	if j := res.Jira; j.Version != "" {
		fmt.Fprintf(e.stdout, "Jira %s %s, base URL %s", j.DeploymentType, j.Version, j.BaseURL)
		if s := j.ClockSkewSeconds; s != nil {
			fmt.Fprintf(e.stdout, ", clock %+d s from this machine's", *s)
		}
		fmt.Fprintln(e.stdout)
	}
	if res.OK {
		fmt.Fprintf(e.stdout, "ok: %s accepted a request signed for consumer key %s; start the approval with applink authorize\n", base, consumerKey)
		return
	}
	fmt.Fprintf(e.stderr, "%d problem(s) at %s:\n", len(res.Problems), base)
	for _, p := range res.Problems {
		printError(e.stderr, "check", p)
	}
}
