package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/oauth"
)

// withOps turns the metrics (with token, when not "") and notifications to
// notifyURL (when not "") on in f's server, as Config.Metrics,
// MetricsToken and NotifyURL do.
func (f *fixture) withOps(token, notifyURL string) {
	f.t.Helper()
	f.srv.metrics = newMetrics(f.srv, true, token)
	n, err := newNotifier(notifyURL, f.srv.log, f.clock.Now)
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv.notify = n
	if f.srv.handler, err = f.srv.middleware(f.srv.routes()); err != nil {
		f.t.Fatal(err)
	}
	f.swap.set(f.srv.Handler())
}

// scrape reads /metrics with the bearer token.
func (f *fixture) scrape(token string) (*http.Response, string) {
	f.t.Helper()
	resp, body := f.apiWith("GET", "/metrics", nil, "Bearer "+token)
	return resp, string(body)
}

// TestMetrics: /metrics is off by default; on, it needs the metrics token
// (not the admin token) and shows each link's state, verdict, last error,
// token expiry and latest health check, the audit events, the calls to
// Jira by step and code, and the sign-in failures; no secret.
func TestMetrics(t *testing.T) {
	f := newFixture(t, options{})
	resp, body := f.apiWith("GET", "/metrics", nil, "Bearer "+adminToken)
	wantStatus(t, resp, body, http.StatusNotFound)

	const token = "metrics-token-0123456789abcdef"
	f.withOps(token, "")
	for _, auth := range []string{"", "Bearer " + adminToken, "Bearer " + token + "x", "Basic " + token} {
		resp, body := f.apiWith("GET", "/metrics", nil, auth)
		wantError(t, resp, body, http.StatusUnauthorized, CodeUnauthorized)
	}
	f.createLink("new")
	f.authorized("prod")
	f.jira.RevokeAccessTokens(svcName)
	resp, body = f.api("POST", "/api/links/prod/health", nil)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = f.apiWith("GET", "/api/links", nil, "Bearer wrong-admin-token-0123456789")
	wantError(t, resp, body, http.StatusUnauthorized, CodeUnauthorized)

	resp, page := f.scrape(token)
	wantStatus(t, resp, []byte(page), http.StatusOK)
	tok, err := f.store.Token("prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`applink_link{link="new",state="new",verdict="none"} 1`,
		`applink_link{link="prod",state="authorized",verdict="match"} 1`,
		`applink_link_last_error{code="token_not_working",link="prod"} 1`,
		fmt.Sprintf(`applink_token_expiry_timestamp_seconds{link="prod"} %v`, float64(tok.ExpiresAt.Unix())),
		`applink_token_health_ok{link="prod"} 0`,
		fmt.Sprintf(`applink_token_health_checked_timestamp_seconds{link="prod"} %v`, float64(f.clock.Now().Unix())),
		`applink_audit_events_total{event="handshake_started"} 1`,
		`applink_audit_events_total{event="approved"} 1`,
		`applink_jira_request_duration_seconds_count{code="ok",step="access_token"} 1`,
		`applink_jira_request_duration_seconds_count{code="token_rejected",step="myself"} 1`,
		`applink_sign_in_failures_total 1`,
	} {
		if !strings.Contains(page, want+"\n") {
			t.Errorf("the metrics lack %s", want)
		}
	}
	if tok.ExpiresAt.IsZero() {
		t.Error("the simulated Jira gave no expiry: the expiry metric is not tested")
	}
	for _, s := range append(f.secrets, svcName, tok.AccessToken) {
		if strings.Contains(page, s) {
			t.Errorf("the metrics show %.6s...", s)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^# HELP (applink_\w+)`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(string(readme), "`"+m[1]+"{") && !strings.Contains(string(readme), "`"+m[1]+"`") {
			t.Errorf("README.md does not list %s", m[1])
		}
	}
	if strings.Contains(page, `applink_token_health_ok{link="new"`) || strings.Contains(page, `checked_timestamp_seconds{link="new"`) {
		t.Error("a link without a token has a token health")
	}
}

// receiver is a notification receiver that fails its first fails posts
// (503), then keeps what it receives.
type receiver struct {
	mu    sync.Mutex
	fails int
	posts int
	got   chan notification
}

func newReceiver(t *testing.T, fails int) (*receiver, *httptest.Server) {
	r := &receiver{fails: fails, got: make(chan notification, 10)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.posts++
		if r.posts <= r.fails {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		var n notification
		dec := json.NewDecoder(req.Body)
		dec.DisallowUnknownFields() // nothing but the fields of notification
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || dec.Decode(&n) != nil {
			t.Errorf("%s %s: not a JSON notification", req.Method, req.Header.Get("Content-Type"))
		}
		r.got <- n
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

// next is the next notification received, failing after a while.
func (r *receiver) next(t *testing.T) notification {
	t.Helper()
	select {
	case n := <-r.got:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no notification arrived")
		return notification{}
	}
}

// TestNotifyRetries: a receiver that fails twice gets the notification at
// the third try, after waits of 1s and 2s; run ends with its context; a
// receiver that always fails is tried notifyTries times, and the log names
// neither its URL nor the event; no change, no notification.
func TestNotifyRetries(t *testing.T) {
	var logs syncBuffer
	now := time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC)
	r, srv := newReceiver(t, 2)
	n, err := newNotifier(srv.URL+"/hooks/T0-SECRET", zerolog.New(&logs), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	n.wait = func(_ context.Context, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.run(ctx); close(done) }()

	n.change("prod", "token_health", "ok", "token_not_working")
	got := r.next(t)
	want := notification{Text: "applink: the token_health of link prod changed from ok to token_not_working",
		Link: "prod", Event: "token_health", Was: "ok", Code: "token_not_working", At: now}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	cancel()
	<-done
	if r.posts != 3 || fmt.Sprint(waits) != "[1s 2s]" {
		t.Errorf("%d posts after waits %v, want 3 after [1s 2s]", r.posts, waits)
	}

	r.mu.Lock()
	r.fails, waits = 100, nil
	r.mu.Unlock()
	n.post(context.Background(), notification{Link: "prod", Event: "verdict", Code: "match"})
	if r.posts != 3+notifyTries || fmt.Sprint(waits) != "[1s 2s 4s 8s]" {
		t.Errorf("%d posts after waits %v: want %d", r.posts-3, waits, notifyTries)
	}
	if l := logs.String(); !strings.Contains(l, "notification not delivered") || strings.Contains(l, "SECRET") || strings.Contains(l, srv.URL) {
		t.Errorf("log: %s", l)
	}
	n.change("prod", "verdict", "match", "match")
	if len(n.queue) != 0 {
		t.Error("an unchanged verdict was queued")
	}
}

// TestNotifyNeverBlocks: with the receiver stuck, changes beyond the
// queue are dropped at once, with a log line.
func TestNotifyNeverBlocks(t *testing.T) {
	var logs syncBuffer
	n, err := newNotifier("http://127.0.0.1:9/", zerolog.New(&logs), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range notifyQueue + 1 {
		n.change(fmt.Sprint("link", i), "verdict", "", "match") // nothing runs the queue
	}
	if got := strings.Count(logs.String(), "notification dropped"); got != 1 {
		t.Errorf("%d drops logged, want 1", got)
	}
	for _, bad := range []string{"ftp://x", "/hooks", "http://"} {
		if _, err := newNotifier(bad, zerolog.Nop(), time.Now); asError(err).Code != CodeInvalidInput {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestNotifyChanges: approving a link notifies its verdict; a health
// check that finds the token revoked notifies the change of health, once;
// a new service account that the approver is not notifies the new verdict.
func TestNotifyChanges(t *testing.T) {
	r, srv := newReceiver(t, 0)
	f := newFixture(t, options{})
	f.withOps("", srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.srv.notify.run(ctx)

	f.authorized("prod")
	check := func(n notification, event, was, code string) {
		t.Helper()
		if n.Link != "prod" || n.Event != event || n.Was != was || n.Code != code || !n.At.Equal(f.clock.Now()) {
			t.Errorf("got %+v, want %s %q → %q", n, event, was, code)
		}
	}
	check(r.next(t), "verdict", "", string(oauth.VerdictMatch))
	f.jira.RevokeAccessTokens(svcName)
	for range 2 {
		resp, body := f.api("POST", "/api/links/prod/health", nil)
		wantStatus(t, resp, body, http.StatusOK)
	}
	check(r.next(t), "token_health", "ok", string(CodeTokenNotWorking))
	resp, body := f.api("PATCH", "/api/links/prod", map[string]string{"service_account": adminName})
	wantStatus(t, resp, body, http.StatusOK)
	// Had the second health check notified, this would be its notification.
	check(r.next(t), "verdict", string(oauth.VerdictMatch), string(oauth.VerdictMismatch))
}
