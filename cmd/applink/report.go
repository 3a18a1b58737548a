package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
)

// fail prints err for people (printError) and returns exitFailure.
func fail(e env, cmd string, err error) int {
	printError(e.stderr, cmd, err)
	return exitFailure
}

// printError writes a failure for people: what went wrong, its code, and
// what to do, in the command line's words (oauth.HintFor). For signature_invalid it also prints Jira's base string next
// to ours, which shows a proxy rewriting the URL at a glance.
func printError(w io.Writer, cmd string, err error) {
	oe, ok := fault.As(err)
	if !ok {
		fmt.Fprintf(w, "applink %s: %s\n", cmd, strings.TrimSpace(err.Error()))
		return
	}
	fmt.Fprintf(w, "applink %s: %s [%s]\n", cmd, oe.Message, oe.Code)
	if hint := oauth.HintFor(oe, oauth.SurfaceCLI); hint != "" {
		fmt.Fprintf(w, "  what to do: %s\n", hint)
	}
	switch {
	case oe.SignatureBaseString == "":
	case oe.SignatureBaseString == oe.ExpectedBaseString:
		fmt.Fprintf(w, "  base string (the same at Jira and here): %s\n", oe.SignatureBaseString)
	default:
		fmt.Fprintf(w, "  Jira's base string:    %s\n", oe.SignatureBaseString)
		if oe.ExpectedBaseString != "" {
			fmt.Fprintf(w, "  applink's base string: %s\n", oe.ExpectedBaseString)
		}
	}
}
