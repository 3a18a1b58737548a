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
//	applink serve     [--addr 127.0.0.1:8080] [--data DIR] [--public-url URL] [--on-mismatch warn|reject] [--data-key-file FILE]
//	applink demo
//	applink datakey   --out FILE | --rotate --data DIR --new FILE [--old FILE]
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
	code := run(ctx, os.Args[1:], env{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
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
		{"serve", "run the web service for super admins", runServe},
		{"demo", "run everything against a simulated Jira on this machine", runDemo},
		{"datakey", "make or rotate the data key that encrypts the service's secrets", runDatakey},
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
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], e)
		}
	}
	fmt.Fprintf(e.stderr, "applink: unknown command %q\n\n", args[0])
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
// exits the process.
func newFlagSet(name, synopsis string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: applink %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and reports whether the command should go on;
// when not, code is the exit code.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "applink %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, false
	}
	return 0, true
}

// usageError reports a missing or wrong flag.
func usageError(e env, fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "applink %s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	fmt.Fprintf(e.stderr, "Run 'applink %s -h' for help.\n", fs.Name())
	return exitUsage
}
