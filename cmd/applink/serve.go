package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/server"
	"github.com/applink/applink/server/store"
)

type serveOptions struct {
	addr, data, publicURL, onMismatch string
	jiraHosts                         string
	maxConns                          int
	healthInterval                    time.Duration
	sessionLifetime                   time.Duration
	trustedProxies                    []netip.Prefix
	dataKeyFile                       string
	metrics                           bool
	metricsToken, notifyURL           string
	oidc                              server.OIDC
	oidcSecretFile                    string
}

const oidcSecretEnv = "APPLINK_OIDC_CLIENT_SECRET" // the OpenID client secret, when no file gives it

func runServe(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:8080] [--data DIR] [--public-url URL] [--on-mismatch warn|reject] [--data-key-file FILE] [--jira-hosts PATTERNS] [--max-connections N] [--health-interval D] [--session-lifetime 12h] [--trusted-proxy CIDR] [--metrics [--metrics-token-file FILE]] [--notify-url URL] [--oidc-issuer URL --oidc-client-id ID --oidc-client-secret-file FILE --oidc-allowed-emails A,B --oidc-allowed-groups G,H [--oidc-groups-claim groups] [--oidc-name NAME] [--oidc-only]]", e)
	var o serveOptions
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.data, "data", "", "data folder (default: $XDG_DATA_HOME/applink or ~/.local/share/applink)")
	fs.StringVar(&o.publicURL, "public-url", "", "the address browsers reach applink at; callbacks and approval links are built from it (default: http://ADDR)")
	fs.StringVar(&o.onMismatch, "on-mismatch", server.MismatchWarn, "when someone other than the service account approves: warn (keep the token, warn) or reject (discard it)")
	fs.StringVar(&o.jiraHosts, "jira-hosts", "", "comma-separated Jira hosts links may point at, such as jira.example.com,*.atlassian.net (default: any)")
	fs.IntVar(&o.maxConns, "max-connections", server.DefaultMaxConnections, "most connections held open at once; at the cap one waiting out the sign-in delay, else the one idle the longest, is closed")
	fs.DurationVar(&o.healthInterval, "health-interval", time.Hour, "how often to check that every approved link's token still works and acts as the same account; 0 turns it off")
	fs.DurationVar(&o.sessionLifetime, "session-lifetime", server.DefaultSessionLifetime, "how long a sign-in in the browser lasts")
	fs.Func("trusted-proxy", "`CIDR` of the reverse proxy in front of applink, whose X-Forwarded-For names the client (repeatable, or comma-separated)", func(v string) error {
		p, err := server.ParseTrustedProxies(v)
		o.trustedProxies = append(o.trustedProxies, p...)
		return err
	})
	fs.StringVar(&o.dataKeyFile, "data-key-file", "", "data key (from 'applink datakey') that encrypts the secrets of the data folder (default: none, secrets unencrypted)")
	fs.BoolVar(&o.metrics, "metrics", false, "serve Prometheus metrics at /metrics")
	fs.Func("metrics-token-file", "`FILE` holding the bearer token the metrics scraper must send (turns --metrics on)", func(f string) error {
		b, err := os.ReadFile(f)
		if o.metricsToken = strings.TrimSpace(string(b)); err == nil && o.metricsToken == "" {
			err = errors.New("the file is empty")
		}
		return err
	})
	fs.StringVar(&o.notifyURL, "notify-url", "", "address to POST a JSON event to (such as a Slack incoming webhook) when a link's verdict or token health changes")
	fs.StringVar(&o.oidc.Issuer, "oidc-issuer", "", "issuer URL of the OpenID Connect provider admins sign in with, such as https://sso.example.com/realms/acme (default: none)")
	fs.StringVar(&o.oidc.ClientID, "oidc-client-id", "", "applink's client id at the OpenID provider")
	fs.StringVar(&o.oidcSecretFile, "oidc-client-secret-file", "", "file holding applink's client secret at the OpenID provider (default: $"+oidcSecretEnv+")")
	fs.StringVar(&o.oidc.AllowedEmails, "oidc-allowed-emails", "", "comma-separated addresses that may sign in through the provider (verified ones)")
	fs.StringVar(&o.oidc.AllowedGroups, "oidc-allowed-groups", "", "comma-separated groups whose members may sign in through the provider")
	fs.StringVar(&o.oidc.GroupsClaim, "oidc-groups-claim", "", "the ID token's claim that lists the person's groups (default: groups)")
	fs.StringVar(&o.oidc.Name, "oidc-name", "", "the provider's name on the sign-in page (default: the issuer's host)")
	fs.BoolVar(&o.oidc.Only, "oidc-only", false, "sign in to the pages only through the provider (the admin token still works for the API)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var oidc *server.OIDC // set by any --oidc flag
	if o.oidc != (server.OIDC{}) || o.oidcSecretFile != "" {
		oidc = &o.oidc
		secret, err := []byte(e.getenv(oidcSecretEnv)), error(nil)
		if o.oidcSecretFile != "" {
			secret, err = os.ReadFile(o.oidcSecretFile)
		}
		if err != nil {
			return usageError(e, fs, "cannot read --oidc-client-secret-file: %v", err)
		}
		if oidc.ClientSecret = strings.TrimSpace(string(secret)); oidc.ClientSecret == "" {
			return usageError(e, fs, "no OpenID client secret: put it in a file given with --oidc-client-secret-file, or in %s", oidcSecretEnv)
		}
	}
	if o.healthInterval < 0 {
		return usageError(e, fs, "--health-interval must be 0 (off) or positive, such as 1h")
	}
	if o.maxConns < 1 {
		return usageError(e, fs, "--max-connections must be at least 1")
	}
	jiraHosts, err := server.ParseJiraHosts(o.jiraHosts)
	if err != nil {
		return usageError(e, fs, "%v", err)
	}
	if _, err := server.ParseMismatchMode(o.onMismatch); err != nil {
		return usageError(e, fs, "%v", err)
	}
	if err := server.CheckSessionLifetime(o.sessionLifetime); err != nil {
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
		return fail(e, "serve", err)
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
		AdminToken: token, Logger: log, JiraHosts: jiraHosts,
		MaxConnections: o.maxConns, HealthInterval: o.healthInterval,
		SessionLifetime: o.sessionLifetime, TrustedProxies: o.trustedProxies, OIDC: oidc,
		Metrics: o.metrics || o.metricsToken != "", MetricsToken: o.metricsToken, NotifyURL: o.notifyURL,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(e.stderr, "applink serve: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stderr, "applink is serving %s (data in %s)\n", o.publicURL, o.data)
	sayDataKey()
	if created {
		printNewAdminToken(e, token, filepath.Join(o.data, "admin-token"), o.dataKeyFile != "")
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

// printNewAdminToken tells the admin about the token made at the first
// start, outside the JSON log. The token itself is printed only to a
// terminal: standard error that is not one goes to a log collector, which
// gets how to read the file instead, or, when it is encrypted, how to
// choose a token of one's own.
func printNewAdminToken(e env, token, file string, encrypted bool) {
	switch {
	case e.terminal:
		fmt.Fprintf(e.stderr, "Admin token (shown once; kept in %s): %s\n", file, token)
	case encrypted:
		fmt.Fprintf(e.stderr, "applink made an admin token and keeps it in %s, encrypted with the data key: to sign in, restart applink with %s set to a token of your own (%s)\n",
			file, server.AdminTokenEnv, store.AdminTokenHint)
	default:
		fmt.Fprintf(e.stderr, "applink made an admin token and keeps it in %s (read it with: cat %s)\n", file, file)
	}
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newLogger logs JSON, or a readable console format when w is a terminal.
func newLogger(w io.Writer) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339
	if isTerminal(w) {
		return zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: time.Kitchen}).With().Timestamp().Logger()
	}
	return zerolog.New(w).With().Timestamp().Logger()
}
