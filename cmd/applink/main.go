// Command applink sets up OAuth 1.0a Application Links between an
// integration and Jira: it makes the RSA keys, prints the Application Link
// configuration, runs the handshake, checks who approved it against the
// designated service account, and serves a web UI for super admins.
//
// Usage:
//
//	applink keys      --out DIR [--bits N] [--force]
//	applink config    --jira-url URL --key-dir DIR --consumer-key KEY [--json]
//	applink authorize --jira-url URL --key-dir DIR --consumer-key KEY --service-account WHO [--out FILE]
//	applink check     --jira-url URL (--key-dir DIR | --private-key FILE) --consumer-key KEY [--ca-file FILE] [--json]
//	applink check     --token-file FILE (--key-dir DIR | --private-key FILE) [--projects KEYS]
//	applink check     --jira-url URL --basic-user USER --password-env VAR --service-account WHO [--projects KEYS]
//	applink serve     [--addr 127.0.0.1:8080] [--data DIR] [--public-url URL] [--on-mismatch warn|reject] [--data-key-file FILE]
//	applink demo
//	applink datakey   --out FILE | --rotate --data DIR --new FILE [--old FILE]
//	applink version
//
// Exit codes: 0 success, 1 failure, 2 usage error, 3 approved by someone
// other than the designated service account, 4 approved by it but lacking
// permissions on a project named with --projects.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitMismatch = 3
	// exitPermissions: approved by the service account, but it lacks
	// permissions on a project named with --projects.
	exitPermissions = 4
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stderr)})
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world, so that tests can
// run commands in-process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// terminal: stderr is an interactive terminal (a person reads it, no
	// log collector does).
	terminal bool
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, e env) int
}

var commands []command

func init() {
	commands = []command{
		{"keys", "make an RSA key pair for the integration", runKeys},
		{"config", "print the Application Link configuration to enter in Jira", runConfig},
		{"authorize", "run the OAuth handshake and check who approved it", runAuthorize},
		{"check", "check a link without a person: reachability, TLS, Jira, clock, consumer key and public key; or who a token or login acts as, and its permissions", runCheck},
		{"serve", "run the web service for super admins", runServe},
		{"demo", "run everything against a simulated Jira on this machine", runDemo},
		{"datakey", "make or rotate the data key that encrypts the service's secrets", runDatakey},
		{"version", "print the version and build of this binary", runVersion},
	}
}

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	name := args[0]
	if name == "--version" || name == "-version" {
		name = "version"
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		if c.name == name {
			return c.run(ctx, args[1:], e)
		}
		names[i] = c.name
	}
	fmt.Fprintf(e.stderr, "applink: unknown command %q", name)
	if near := closest(strings.TrimLeft(name, "-"), names); near != "" {
		fmt.Fprintf(e.stderr, "; did you mean %s?", near)
	}
	fmt.Fprint(e.stderr, "\n\n")
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "applink sets up OAuth 1.0a Application Links between an integration and Jira.")
	fmt.Fprintln(w, "\nUsage: applink COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'applink COMMAND -h' for the flags of a command.")
}

// newFlagSet returns a flag set that reports errors to e.stderr and never
// exits the process. Its usage spells flags "--name", as synopsis does.
func newFlagSet(name, synopsis string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: %s\n\nFlags:\n", strings.TrimSpace("applink "+name+" "+synopsis))
		printFlags(e.stderr, fs)
	}
	return fs
}

// parseFlags parses args, checks that the required flags have a value
// (requireFlags), and reports whether the command should go on; when not,
// code is the exit code. A wrong flag gets one line that says what is
// wrong (the closest flag for a mistyped one, a unit for a bare duration)
// instead of the flag package's message and the whole usage.
func parseFlags(fs *flag.FlagSet, args []string, required ...string) (code int, ok bool) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	bad, err := parseWatched(fs, args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return exitOK, false
	case err != nil:
		return usageError(env{stderr: out}, fs, "%s", flagError(fs, bad, err)), false
	case fs.NArg() > 0:
		return usageError(env{stderr: out}, fs, "unexpected argument %q", fs.Arg(0)), false
	}
	return requireFlags(env{stderr: out}, fs, required...)
}

// usageError reports a missing or wrong flag.
func usageError(e env, fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "applink %s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	fmt.Fprintf(e.stderr, "Run 'applink %s -h' for help.\n", fs.Name())
	return exitUsage
}
