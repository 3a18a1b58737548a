package jiratest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth/jiratest"
)

// TestSSOPage: an SSO proxy answers every request with its login page,
// 200 and HTML.
func TestSSOPage(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, _, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	e.j.SetFaults(jiratest.Faults{SSOPage: true})
	for _, req := range []*http.Request{
		signedRequestToken(t, e.cfg),
		signedGet(t, e.cfg, oauthToken("x", "y"), e.base+jiratest.PathMyself),
	} {
		resp, body := send(t, req)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), "Sign in with your organization account") {
			t.Errorf("%s: %d %q", req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if _, _, err := e.cfg.RequestToken(); err == nil {
		t.Error("dghubble/oauth1 took the SSO page for a request token")
	}
	au, _ := e.cfg.AuthorizationURL(rt)
	_, _, err = (&jiratest.Browser{}).Approve(t.Context(), au.String(), svcUser, svcPass, true)
	var je *fault.Error
	if !errors.As(err, &je) || je.Code != jiratest.CodeUnexpectedPage || !strings.Contains(je.Message, "Sign In") {
		t.Errorf("Browser on the SSO page: %v", err)
	}
}

func TestStatus5xx(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	for _, c := range []struct{ set, want int }{{503, 503}, {500, 500}, {42, 502}} {
		e.j.SetFaults(jiratest.Faults{Status5xx: c.set})
		resp, body := send(t, signedRequestToken(t, e.cfg))
		if resp.StatusCode != c.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), http.StatusText(c.want)) {
			t.Errorf("Status5xx %d: %d %s", c.set, resp.StatusCode, body)
		}
	}
	e.j.SetFaults(jiratest.Faults{})
	if _, _, err := e.cfg.RequestToken(); err != nil {
		t.Errorf("healthy again: %v", err)
	}
}

// TestLatency uses a fake clock (synctest): the answer comes after
// Latency, or not at all when the request's context ends first.
func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := jiratest.New(jiratest.Options{})
		j.SetFaults(jiratest.Faults{Latency: 3 * time.Second})
		start := time.Now()
		rec := httptest.NewRecorder()
		j.ServeHTTP(rec, httptest.NewRequest("GET", jiratest.PathServerInfo, nil))
		if d := time.Since(start); d != 3*time.Second || rec.Code != 200 {
			t.Errorf("answer after %v with %d, want 3s and 200", d, rec.Code)
		}

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start = time.Now()
		rec = httptest.NewRecorder()
		j.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", jiratest.PathServerInfo, nil))
		if d := time.Since(start); d != time.Second {
			t.Errorf("returned after %v, want 1s (the request's deadline)", d)
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Errorf("answered a request whose context ended: %v %q", rec.Header(), rec.Body)
		}
	})
}

// TestLatencyClientDeadline: over HTTP, a client that gives up gets its
// deadline error, and the server is not left waiting (Close would block
// for an hour).
func TestLatencyClientDeadline(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	e.j.SetFaults(jiratest.Faults{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+jiratest.PathServerInfo, nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	e.srv.Close() // returns once the handler has given up
}

// TestClockOffsetServerInfo: serverTime is Jira's clock.
func TestClockOffsetServerInfo(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	e.j.SetFaults(jiratest.Faults{ClockOffset: -2 * time.Hour})
	resp, err := http.Get(e.base + jiratest.PathServerInfo)
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ ServerTime string }
	if err := json.Unmarshal(readAll(t, resp), &info); err != nil {
		t.Fatal(err)
	}
	got, err := time.Parse("2006-01-02T15:04:05.000-0700", info.ServerTime)
	if want := e.now.Add(-2 * time.Hour); err != nil || !got.Truncate(time.Millisecond).Equal(want.Truncate(time.Millisecond)) {
		t.Errorf("serverTime = %q (%v), want %v", info.ServerTime, err, want)
	}
}
