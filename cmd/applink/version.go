package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// runVersion prints the version, the commit and the Go version the binary
// was built from, as the build information records them.
func runVersion(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("version", "", e)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(e.stderr, "applink version: this binary holds no build information")
		return exitFailure
	}
	fmt.Fprintln(e.stdout, versionText(bi))
	return exitOK
}

// versionText is one line: "applink VERSION (commit REV, TIME, modified)
// built with GOVERSION"; the commit part appears only when the build
// recorded it (a build inside a git checkout).
func versionText(bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var vcs []string
	for _, key := range []string{"vcs.revision", "vcs.time", "vcs.modified"} {
		for _, s := range bi.Settings {
			switch {
			case s.Key != key || s.Value == "" || s.Value == "false":
			case key == "vcs.revision":
				vcs = append(vcs, "commit "+s.Value)
			case key == "vcs.modified":
				vcs = append(vcs, "with uncommitted changes")
			default:
				vcs = append(vcs, s.Value)
			}
		}
	}
	text := "applink " + version
	if len(vcs) > 0 {
		text += " (" + strings.Join(vcs, ", ") + ")"
	}
	return text + " built with " + bi.GoVersion
}
