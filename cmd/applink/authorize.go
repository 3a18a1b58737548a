package main

import (
	"bufio"
	"context"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/fsutil"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
)

// tokenFile is what `applink authorize --out` writes (mode 0600). Its
// fields are part of the CLI contract; who approved, the verdict and its
// notice come from the handshake's one outcome (oauth.Approval).
type tokenFile struct {
	JiraURL                string          `json:"jira_url"`
	ConsumerKey            string          `json:"consumer_key"`
	AccessToken            string          `json:"access_token"`
	TokenSecret            string          `json:"token_secret"`
	SessionHandle          string          `json:"session_handle,omitempty"`
	ExpiresAt              string          `json:"expires_at,omitempty"`
	AuthorizationExpiresAt string          `json:"authorization_expires_at,omitempty"`
	ApprovedAt             string          `json:"approved_at"`
	AuthorizedAs           *oauth.Identity `json:"authorized_as"`
	ServiceAccount         string          `json:"service_account"`
	ServiceAccountMatch    bool            `json:"service_account_match"`
	// IdentityCheck is the verdict: "match", "mismatch", "unverifiable"
	// (Jira does not show the field the service account is written in) or
	// "unknown" (Jira did not say who approved).
	IdentityCheck oauth.Verdict `json:"identity_check"`
	// Notice says what to do when the verdict is not "match".
	Notice *oauth.Notice `json:"notice,omitempty"`
}

// exitFor is the exit code of an approval: 0 for the service account, 3
// when someone else, or someone applink cannot compare with it, approved,
// 1 when Jira did not say who approved.
func exitFor(v oauth.Verdict) int {
	switch v {
	case oauth.VerdictMatch:
		return exitOK
	case oauth.VerdictMismatch, oauth.VerdictUnverifiable:
		return exitMismatch
	}
	return exitFailure
}

// consumerFlags are the flags that name a consumer: the Jira URL, the
// private key (a key folder or one file) and the consumer key, shared by
// authorize and check.
type consumerFlags struct {
	jiraURL, keyDir, privateKey, consumerKey string
}

// bind declares the flags on fs.
func (o *consumerFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.jiraURL, "jira-url", "", "Jira base URL, context path included (required)")
	fs.StringVar(&o.keyDir, "key-dir", "", "folder holding private.pem (this or --private-key)")
	fs.StringVar(&o.privateKey, "private-key", "", "private key file, PKCS#1 or PKCS#8 PEM (this or --key-dir)")
	fs.StringVar(&o.consumerKey, "consumer-key", "", "consumer key of the Application Link (required)")
}

// load reads the private key and builds the consumer.
func (o consumerFlags) load() (*oauth.Consumer, *rsa.PrivateKey, error) {
	load, from := keys.LoadPrivateKeyFile, o.privateKey
	if o.keyDir != "" {
		load, from = keys.LoadDir, o.keyDir
	}
	key, err := load(from)
	if err != nil {
		return nil, nil, err
	}
	c, err := oauth.NewConsumer(o.jiraURL, o.consumerKey, key)
	return c, key, err
}

type authorizeOptions struct {
	consumerFlags
	serviceAccount, listen, out, projects string
	oob                                   bool
	timeout                               time.Duration
}

func runAuthorize(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("authorize", "--jira-url URL (--key-dir DIR | --private-key FILE) --consumer-key KEY --service-account WHO [--listen ADDR] [--oob] [--out FILE] [--timeout D] [--projects KEYS]", e)
	var o authorizeOptions
	o.consumerFlags.bind(fs)
	fs.StringVar(&o.serviceAccount, "service-account", "", "the account that must approve: username, user key, account id or email (required)")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to receive Jira's redirect on (http://ADDR/callback)")
	fs.BoolVar(&o.oob, "oob", false, "no redirect: type the verification code Jira shows")
	fs.StringVar(&o.out, "out", "", "file to write the token to as JSON (mode 0600); standard output when empty")
	fs.StringVar(&o.projects, "projects", "", "comma-separated project keys: after approval, check that the account holds an issue sync's permissions on each")
	fs.DurationVar(&o.timeout, "timeout", oauth.RequestTokenLifetime, "give up after this long (the life of a request token)")
	if code, ok := parseFlags(fs, args, "jira-url", "key-dir|private-key", "consumer-key", "service-account"); !ok {
		return code
	}
	if o.keyDir != "" && o.privateKey != "" {
		return usageError(e, fs, "give one of --key-dir and --private-key, not both")
	}
	if o.timeout <= 0 {
		return usageError(e, fs, "--timeout must be positive, such as 10m")
	}
	return authorize(ctx, o, e)
}

// authorize runs the handshake: it loads the key, asks for a request
// token, waits for the approval (callback or typed code), completes it
// and reports the outcome.
func authorize(ctx context.Context, o authorizeOptions, e env) int {
	const cmd = "authorize"
	consumer, key, err := o.load()
	if err != nil {
		return fail(e, cmd, err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	callbackURL := "oob"
	var cb *callbackServer
	if !o.oob {
		cb, err = listenCallback(o.listen)
		if err != nil {
			fmt.Fprintf(e.stderr, "applink %s: cannot listen on %s for Jira's redirect: %v\n  what to do: pick a free address with --listen, or use --oob\n", cmd, o.listen, err)
			return exitFailure
		}
		defer cb.close()
		callbackURL = cb.url
	}
	rt, err := consumer.RequestToken(ctx, callbackURL)
	if err != nil {
		printError(e.stderr, cmd, err)
		if fault.CodeOf(err) == oauth.CodeSignatureInvalid {
			fmt.Fprintf(e.stderr, "  this private key's public key: %s (the Application Link's must be the same)\n", keys.Fingerprint(&key.PublicKey))
		}
		return exitFailure
	}
	verifier, err := awaitApproval(ctx, o, consumer, rt, cb, e)
	if err != nil {
		return exitFailure
	}
	res, err := consumer.Complete(ctx, rt, verifier, o.serviceAccount, "")
	if err != nil {
		return fail(e, cmd, err)
	}
	if err := writeToken(o, consumer.Endpoints.Base, res, e); err != nil {
		fmt.Fprintf(e.stderr, "applink %s: the token was issued but could not be saved: %v\n", cmd, err)
		return exitFailure
	}
	return report(ctx, o, consumer, res, e)
}

// awaitApproval prints the approval URL and the reminder, then waits for
// the verifier: from the callback, or typed with --oob. A failure is
// printed here.
func awaitApproval(ctx context.Context, o authorizeOptions, c *oauth.Consumer, rt *oauth.RequestToken, cb *callbackServer, e env) (string, error) {
	const cmd = "authorize"
	if cb != nil {
		cb.expect.Store(&rt.Token.Token)
	}
	fmt.Fprintln(e.stderr, oauth.BeforeApproval(c.Endpoints.Base, o.serviceAccount))
	fmt.Fprintln(e.stderr)
	fmt.Fprintln(e.stderr, "Open this URL in that window:")
	fmt.Fprintln(e.stdout, rt.AuthorizeURL)
	var verifier string
	var err error
	if cb == nil {
		fmt.Fprintf(e.stderr, "Then type the verification code Jira shows: ")
		verifier, err = readLine(ctx, e.stdin)
	} else {
		fmt.Fprintf(e.stderr, "Waiting for Jira to send the browser back to %s (up to %s)...\n", cb.url, o.timeout.Round(time.Second))
		verifier, err = cb.wait(ctx)
	}
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(e.stderr, "applink %s: nobody approved within %s [timeout]\n  what to do: %s\n", cmd, fmtDuration(o.timeout), timeoutHint(o.timeout))
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "applink %s: interrupted\n", cmd)
	default:
		printError(e.stderr, cmd, err)
	}
	return verifier, err
}

// timeoutHint says what to do when nobody approved in time: allow more
// time with --timeout, up to the life of a request token, beyond which
// more time does not help.
func timeoutHint(timeout time.Duration) string {
	life := oauth.RequestTokenLifetime
	if timeout < life {
		return fmt.Sprintf("run the command again and approve sooner, or allow more time with --timeout (up to %s, the life of a request token)", fmtDuration(life))
	}
	return fmt.Sprintf("run the command again and approve within %s: the request token then expires, so a longer --timeout does not help", fmtDuration(life))
}

// fmtDuration writes 10m0s as 10m, the way people type it.
func fmtDuration(d time.Duration) string {
	if s := d.String(); strings.HasSuffix(s, "m0s") {
		return strings.TrimSuffix(s, "0s")
	}
	return d.String()
}

// report prints the outcome of an approval (its notice, when the verdict
// is not "match") and returns the exit code, checking permissions with
// --projects when the service account approved.
func report(ctx context.Context, o authorizeOptions, c *oauth.Consumer, res *oauth.Result, e env) int {
	ok := fmt.Sprintf("Approved by %s: the designated service account %q. The link is ready.", res.Approver, o.serviceAccount)
	if !res.AccessToken.ExpiresAt.IsZero() {
		ok += fmt.Sprintf("\nThe token expires %s.", res.AccessToken.ExpiresAt.UTC().Format(time.RFC3339))
	}
	again, key := "check again: applink check --token-file "+o.out, "--key-dir "+o.keyDir
	if o.out == "" {
		again = "save the token JSON printed above to a FILE and check again: applink check --token-file FILE"
	}
	if o.keyDir == "" {
		key = "--private-key " + o.privateKey
	}
	again += fmt.Sprintf(" %s --projects %s", key, strings.ReplaceAll(o.projects, " ", ""))
	_, code := reportAndAudit(ctx, c.As(res.AccessToken.Token), res.Approval, res.Notice(), ok, o.projects, again, e)
	return code
}

// writeToken writes the token JSON to --out (0600, atomic) or to standard
// output.
func writeToken(o authorizeOptions, base string, res *oauth.Result, e env) error {
	at := res.AccessToken
	tf := tokenFile{
		JiraURL:             base,
		ConsumerKey:         o.consumerKey,
		AccessToken:         at.Token.Token,
		TokenSecret:         at.Token.Secret,
		SessionHandle:       at.SessionHandle,
		ApprovedAt:          res.ApprovedAt.UTC().Format(time.RFC3339),
		AuthorizedAs:        res.Approver,
		ServiceAccount:      o.serviceAccount,
		ServiceAccountMatch: res.Verdict == oauth.VerdictMatch,
		IdentityCheck:       res.Verdict,
		Notice:              res.Notice(),
	}
	if !at.ExpiresAt.IsZero() {
		tf.ExpiresAt = at.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if !at.AuthorizationExpiresAt.IsZero() {
		tf.AuthorizationExpiresAt = at.AuthorizationExpiresAt.UTC().Format(time.RFC3339)
	}
	data, err := json.MarshalIndent(tf, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if o.out == "" {
		_, err = e.stdout.Write(data)
		return err
	}
	if err := fsutil.WritePrivate(o.out, data); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Wrote the token to %s (mode 0600).\n", o.out)
	return nil
}

// readLine reads one line from r, giving up when ctx ends.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		line = strings.TrimSpace(line)
		if line != "" {
			err = nil
		} else if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("no verification code was typed")
		}
		ch <- result{line, err}
	}()
	select {
	case res := <-ch:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// callbackServer receives Jira's redirect after approval.
type callbackServer struct {
	srv *http.Server
	url string
	got chan string // the verifier
	// expect is the request token whose callback is accepted; a callback
	// for any other token is refused (it is not the handshake this run
	// started).
	expect atomic.Pointer[string]
}

func listenCallback(addr string) (*callbackServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	cb := &callbackServer{
		url: "http://" + browserAddr(ln.Addr()) + "/callback",
		got: make(chan string, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", cb.handle)
	cb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() { _ = cb.srv.Serve(ln) }()
	return cb, nil
}

var callbackPage = template.Must(template.New("cb").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>applink</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;line-height:1.5}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>`))

func (cb *callbackServer) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	token, verifier, err := oauth.ParseCallback(r.URL.RawQuery)
	expect := cb.expect.Load()
	if err != nil || expect == nil || subtle.ConstantTimeCompare([]byte(token), []byte(*expect)) != 1 {
		w.WriteHeader(http.StatusBadRequest)
		_ = callbackPage.Execute(w, map[string]string{"Title": "Not the approval applink is waiting for", "Text": "This address only receives Jira's redirect for the request this applink run started."})
		return
	}
	select {
	case cb.got <- verifier:
		text := "Jira sent the approval back. Return to the terminal: applink is checking who approved."
		if verifier == "denied" {
			text = "The request was denied in Jira. Return to the terminal."
		}
		_ = callbackPage.Execute(w, map[string]string{"Title": "Done: you can close this window", "Text": text})
	default:
		w.WriteHeader(http.StatusConflict)
		_ = callbackPage.Execute(w, map[string]string{"Title": "Already received", "Text": "applink already has an answer for this request."})
	}
}

// wait returns the verifier of the accepted callback.
func (cb *callbackServer) wait(ctx context.Context) (string, error) {
	select {
	case v := <-cb.got:
		return v, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (cb *callbackServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = cb.srv.Shutdown(ctx)
}
