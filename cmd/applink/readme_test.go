package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMENamesEveryFlag checks that the README's synopses of each
// command (the `applink NAME ...` spans) name every flag the command
// takes, so that a flag added to a command reaches its documentation.
func TestREADMENamesEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^  --?([a-z-]+)`)
	for _, c := range commands {
		synopses := strings.Join(regexp.MustCompile("`applink "+c.name+"[ `][^`]*").FindAllString(string(readme), -1), "\n")
		if synopses == "" {
			t.Errorf("README.md has no synopsis of applink %s", c.name)
			continue
		}
		for _, m := range flagLine.FindAllStringSubmatch(runCmd(t, "", c.name, "-h").stderr, -1) {
			if !regexp.MustCompile(`--` + m[1] + `\b`).MatchString(synopses) {
				t.Errorf("README.md's synopses of applink %s lack --%s", c.name, m[1])
			}
		}
	}
}
