package jiratest

import (
	"strings"
	"testing"
	"time"
)

// TestPrune: expired tokens (after a grace period in which their use is
// answered token_expired), old nonces and idle sessions are dropped.
func TestPrune(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	j := New(Options{Now: func() time.Time { return now }})
	j.tokens["fresh"] = &token{value: "fresh", kind: requestToken, expires: now.Add(time.Minute)}
	j.tokens["just-expired"] = &token{value: "just-expired", kind: requestToken, expires: now.Add(-time.Minute)}
	j.tokens["long-expired"] = &token{value: "long-expired", kind: accessToken, expires: now.Add(-time.Hour)}
	j.nonces[nonceKey{"c", "recent"}] = now.Add(-time.Minute).Unix()
	j.nonces[nonceKey{"c", "old"}] = now.Add(-6 * time.Minute).Unix()
	j.sessions["active"] = &session{lastUsed: now.Add(-time.Hour)}
	j.sessions["idle"] = &session{lastUsed: now.Add(-9 * time.Hour)}

	j.mu.Lock()
	j.pruneLocked(now)
	j.mu.Unlock()

	for _, c := range []struct {
		what string
		have bool
		want bool
	}{
		{"fresh token", j.tokens["fresh"] != nil, true},
		{"just expired token", j.tokens["just-expired"] != nil, true},
		{"long expired token", j.tokens["long-expired"] != nil, false},
		{"recent nonce", has(j.nonces, nonceKey{"c", "recent"}), true},
		{"old nonce", has(j.nonces, nonceKey{"c", "old"}), false},
		{"active session", j.sessions["active"] != nil, true},
		{"idle session", j.sessions["idle"] != nil, false},
	} {
		if c.have != c.want {
			t.Errorf("%s kept = %v, want %v", c.what, c.have, c.want)
		}
	}

	// Pruning runs at most once a minute of simulated time.
	j.tokens["x"] = &token{value: "x", expires: now.Add(-time.Hour)}
	j.mu.Lock()
	j.pruneLocked(now.Add(30 * time.Second))
	kept := j.tokens["x"] != nil
	j.pruneLocked(now.Add(time.Minute))
	j.mu.Unlock()
	if !kept || j.tokens["x"] != nil {
		t.Errorf("prune schedule: kept after 30s = %v, after 1m = %v", kept, j.tokens["x"] != nil)
	}
}

func has[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

func TestRandomVerifier(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		v := randomVerifier()
		if len(v) != verifierLen || strings.Trim(v, verifierAlphabet) != "" {
			t.Fatalf("verifier %q", v)
		}
		seen[v] = true
	}
	if len(seen) < 195 {
		t.Errorf("only %d distinct verifiers in 200", len(seen))
	}
}

func TestCallbackURL(t *testing.T) {
	for _, c := range []struct{ cb, want string }{
		{"http://c.example/cb", "http://c.example/cb?oauth_token=T%2B&oauth_verifier=v"},
		{"https://c.example/cb?a=1&b=2#frag", "https://c.example/cb?a=1&b=2&oauth_token=T%2B&oauth_verifier=v#frag"},
	} {
		if got := callbackURL(c.cb, "T+", "v"); got != c.want {
			t.Errorf("callbackURL(%q) = %q, want %q", c.cb, got, c.want)
		}
	}
}

func TestDestination(t *testing.T) {
	for in, want := range map[string]string{
		"/plugins/servlet/oauth/authorize?oauth_token=x": "/plugins/servlet/oauth/authorize?oauth_token=x",
		"//evil.example/":      "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"":                     "/",
		"/a\r\nSet-Cookie: x":  "/",
	} {
		if got := destination(in); got != want {
			t.Errorf("destination(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeContextPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "jira": "/jira", "/jira/": "/jira", "/a/b": "/a/b"} {
		if got := normalizeContextPath(in); got != want {
			t.Errorf("normalizeContextPath(%q) = %q, want %q", in, got, want)
		}
	}
}
