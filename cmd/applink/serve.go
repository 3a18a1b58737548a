package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/server"
)

type serveOptions struct {
	addr, data, publicURL, onMismatch string
	dataKeyFile                       string
}

func runServe(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:8080] [--data DIR] [--public-url URL] [--on-mismatch warn|reject] [--data-key-file FILE]", e)
	var o serveOptions
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.data, "data", "", "data folder (default: $XDG_DATA_HOME/applink or ~/.local/share/applink)")
	fs.StringVar(&o.publicURL, "public-url", "", "the address browsers reach applink at; callbacks and approval links are built from it (default: http://ADDR)")
	fs.StringVar(&o.onMismatch, "on-mismatch", server.MismatchWarn, "when someone other than the service account approves: warn (keep the token, warn) or reject (discard it)")
	fs.StringVar(&o.dataKeyFile, "data-key-file", "", "data key (from 'applink datakey') that encrypts the secrets of the data folder (default: none, secrets unencrypted)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if _, err := server.ParseMismatchMode(o.onMismatch); err != nil {
		return usageError(e, fs, "%v", err)
	}
	if o.data == "" {
		d, err := defaultDataDir(e.getenv)
		if err != nil {
			return usageError(e, fs, "no --data given and no home folder to default to: %v", err)
		}
		o.data = d
	}
	if o.publicURL != "" {
		u, err := server.ParsePublicURL(o.publicURL)
		if err != nil {
			return usageError(e, fs, "%v", err)
		}
		o.publicURL = u
	}
	log := newLogger(e.stderr)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "applink serve: cannot listen on %s: %v\n  what to do: pick a free address with --addr\n", o.addr, err)
		return exitFailure
	}
	if o.publicURL == "" {
		o.publicURL = "http://" + browserAddr(ln.Addr())
	}
	st, sayDataKey, err := openDataFolder(o.data, o.dataKeyFile, log, e.stderr)
	if err != nil {
		ln.Close()
		printError(e.stderr, "serve", err)
		return exitFailure
	}
	defer st.Close()
	token, created, err := server.AdminTokenFrom(st, e.getenv)
	if err != nil {
		ln.Close()
		fmt.Fprintf(e.stderr, "applink serve: %v\n", err)
		return exitFailure
	}
	srv, err := server.New(server.Config{
		Store: st, PublicURL: o.publicURL, OnMismatch: o.onMismatch,
		AdminToken: token, Logger: log,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(e.stderr, "applink serve: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stderr, "applink is serving %s (data in %s)\n", o.publicURL, o.data)
	sayDataKey()
	if created {
		fmt.Fprintf(e.stderr, "Admin token (shown once; kept in %s): %s\n", filepath.Join(o.data, "admin-token"), token)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(e.stderr, "applink serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// browserAddr is the host:port a browser on this machine uses to reach a
// listener: an unspecified address (0.0.0.0, ::) becomes 127.0.0.1.
func browserAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// defaultDataDir is $XDG_DATA_HOME/applink or ~/.local/share/applink.
func defaultDataDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "applink"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		home = h
	}
	return filepath.Join(home, ".local", "share", "applink"), nil
}

// newLogger logs JSON, or a readable console format when w is a terminal.
func newLogger(w io.Writer) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: time.Kitchen}).With().Timestamp().Logger()
		}
	}
	return zerolog.New(w).With().Timestamp().Logger()
}
