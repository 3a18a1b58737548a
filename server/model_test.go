package server

import (
	"context"
	"flag"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

var (
	modelSeed  = flag.Uint64("model.seed", 1, "seed of TestLinkModel's random steps")
	modelSteps = flag.Int("model.steps", 600, "how many steps TestLinkModel takes")
)

// modelApproval is an approval the model started, as Jira sees it.
type modelApproval struct {
	view    *HandshakeView
	token   string // its request token
	decided bool   // someone clicked Allow or Deny in Jira
}

// linkModel is what the model test knows of one link: the approvals it
// started and the access token that acts as the service account, once one
// was kept.
type linkModel struct {
	f         *fixture
	rng       *rand.Rand
	approvals []*modelApproval
	matchAT   string // the kept match token's access token; "" before one
	sa, other string // the link's service account and another user
	jiraURL   string // the link's Jira URL
	log       []string
}

// TestLinkModel (issue 12, item 7) drives a link through random steps
// against the simulated Jira and checks the invariants of a link's life
// after each: a match token is never lost (no step here deletes the link);
// the badge, the notices, the export gate and the API's verdict agree;
// every pending notice has a pending approval behind it, and no approval
// link leads to a request token Jira has decided or let expire. A failure
// prints the seed and the steps; run it again with -model.seed=N.
func TestLinkModel(t *testing.T) {
	f := newFixture(t, options{})
	m := &linkModel{f: f, rng: rand.New(rand.NewPCG(*modelSeed, 0)), sa: svcName, other: adminName}
	m.jiraURL = f.createLink("m").JiraURL
	steps := []struct {
		name   string
		weight int
		do     func()
	}{
		{"start approval", 4, m.start},
		{"approve as the service account", 3, func() { m.decide(m.sa, true) }},
		{"approve as another user", 3, func() { m.decide(m.other, true) }},
		{"deny", 2, func() { m.decide(m.sa, false) }},
		{"forged deny", 2, func() { m.forge("denied") }},
		{"made-up verifier", 2, func() { m.forge("zz" + f.clock.Now().Format("150405")) }},
		{"time passes", 2, func() { f.clock.Advance(time.Duration(1+m.rng.IntN(12)) * time.Minute) }},
		{"restart", 1, f.restart},
		{"Jira revokes the tokens", 1, func() { f.jira.RevokeAccessTokens(svcName); f.jira.RevokeAccessTokens(adminName) }},
		{"token health", 2, func() { f.api("POST", "/api/links/m/health", nil) }},
		{"edit the service account", 1, m.editServiceAccount},
		{"edit the Jira URL", 1, m.editJiraURL},
	}
	total := 0
	for _, s := range steps {
		total += s.weight
	}
	start := time.Now()
	for i := range *modelSteps {
		n := m.rng.IntN(total)
		for _, s := range steps {
			if n -= s.weight; n < 0 {
				m.log = append(m.log, s.name)
				s.do()
				break
			}
		}
		if !m.check(t) {
			t.Fatalf("seed %d, step %d: invariant broken after the steps: %s", *modelSeed, i, strings.Join(m.log, "; "))
		}
	}
	t.Logf("seed %d: %d steps in %s", *modelSeed, *modelSteps, time.Since(start).Round(time.Millisecond))
}

// start starts an approval (a 429 at the cap of pending ones is fine).
func (m *linkModel) start() {
	resp, body := m.f.api("POST", "/api/links/m/handshakes", nil)
	if resp.StatusCode != http.StatusCreated {
		return
	}
	h := decode[*HandshakeView](m.f.t, body)
	au, _ := url.Parse(h.AuthorizeURL)
	m.approvals = append(m.approvals, &modelApproval{view: h, token: au.Query().Get("oauth_token")})
}

// open returns a random approval nobody decided and Jira still keeps, or
// nil.
func (m *linkModel) open() *modelApproval {
	var open []*modelApproval
	for _, a := range m.approvals {
		if !a.decided && m.f.clock.Now().Before(a.view.ExpiresAt) {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return nil
	}
	return open[m.rng.IntN(len(open))]
}

// decide has user click Allow or Deny on an open approval in Jira, and
// delivers the callback.
func (m *linkModel) decide(user string, allow bool) {
	a := m.open()
	if a == nil {
		m.start()
		return
	}
	pass := svcPassword
	if user == adminName {
		pass = adminPass
	}
	cb, v, err := (&jiratest.Browser{}).Approve(context.Background(), a.view.AuthorizeURL, user, pass, allow)
	if err != nil || cb == nil {
		m.f.t.Fatalf("seed %d: Jira refused an open approval: %v", *modelSeed, err)
	}
	a.decided = true
	if allow {
		m.f.addSecret(v)
	}
	_, body := m.f.get(cb.String(), nil)
	if strings.Contains(string(body), "still pending") {
		m.f.t.Errorf("seed %d: the callback of a decided approval says it is still pending", *modelSeed)
	}
	if tok, err := m.f.store.Token("m"); user == m.sa && allow && err == nil && tok.Verdict == oauth.VerdictMatch {
		m.matchAT = tok.AccessToken
	}
}

// editServiceAccount makes the other user the link's service account: a
// person's decision, so the token kept is judged again and is the match
// token from then on only if it acts as the new service account.
func (m *linkModel) editServiceAccount() {
	m.sa, m.other = m.other, m.sa
	resp, body := m.f.api("PATCH", "/api/links/m", map[string]string{"service_account": m.sa})
	wantStatus(m.f.t, resp, body, http.StatusOK)
	m.matchAT = ""
	if tok, err := m.f.store.Token("m"); err == nil && tok.Verdict == oauth.VerdictMatch {
		m.matchAT = tok.AccessToken
	}
}

// editJiraURL switches the link between two names of the same Jira
// (127.0.0.1 and localhost); the token kept stays, the pending approvals
// end.
func (m *linkModel) editJiraURL() {
	other := m.f.jiraSrv.URL
	if m.jiraURL == other {
		other = strings.Replace(other, "127.0.0.1", "localhost", 1)
	}
	resp, body := m.f.api("PATCH", "/api/links/m", map[string]string{"jira_url": other})
	wantStatus(m.f.t, resp, body, http.StatusOK)
	if v := decode[*LinkView](m.f.t, body); v.JiraURL != other || v.Permissions != nil {
		m.f.t.Errorf("seed %d: after editing the Jira URL to %s: %s, permissions %v", *modelSeed, other, v.JiraURL, v.Permissions)
	}
	m.jiraURL = other
	for _, a := range m.approvals { // they were the old URL's: the edit ended them
		if resp, _ := m.f.get(a.view.ApprovalURL, nil); resp.StatusCode == http.StatusOK {
			m.f.t.Errorf("seed %d: an approval of the old Jira URL still leads to Jira", *modelSeed)
		}
	}
	m.approvals = nil
}

// forge sends a callback nobody decided: a Deny or a made-up verifier.
func (m *linkModel) forge(verifier string) {
	a := m.open()
	if a == nil {
		return
	}
	m.f.get(m.f.app.URL+CallbackPath+"?oauth_token="+url.QueryEscape(a.token)+"&oauth_verifier="+verifier, nil)
}

// check verifies the invariants, reporting each broken one.
func (m *linkModel) check(t *testing.T) bool {
	t.Helper()
	f, ok := m.f, true
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d: "+format, append([]any{*modelSeed}, args...)...)
		ok = false
	}
	tok, err := f.store.Token("m")
	if m.matchAT != "" && (err != nil || tok.AccessToken != m.matchAT || tok.Verdict != oauth.VerdictMatch) {
		fail("the service account's token was lost: %v", err)
	}
	v := f.getLink("m")
	badge := v.Badge().Label
	resp, body := f.api("GET", "/api/links/m/credentials", nil)
	switch {
	case v.Verdict == nil:
		if resp.StatusCode != http.StatusConflict || tok != nil {
			fail("no verdict, but the export answers %d", resp.StatusCode)
		}
	case *v.Verdict == oauth.VerdictMatch:
		if resp.StatusCode != http.StatusOK || (badge != "Authorized" && badge != "Token not working") {
			fail("verdict match, export %d, badge %q", resp.StatusCode, badge)
		}
		f.addSecret(decode[credentials](t, body).TokenSecret)
	default:
		if resp.StatusCode != http.StatusConflict || badge == "Authorized" {
			fail("verdict %s, export %d, badge %q", *v.Verdict, resp.StatusCode, badge)
		}
	}
	rank := map[oauth.Severity]int{oauth.SeverityDanger: 0, oauth.SeverityWarning: 1, oauth.SeverityInfo: 2}
	for i := 1; i < len(v.Notices); i++ {
		if rank[v.Notices[i-1].Severity] > rank[v.Notices[i].Severity] {
			fail("notice %s (%s) before %s (%s): not most severe first", v.Notices[i-1].Code, v.Notices[i-1].Severity, v.Notices[i].Code, v.Notices[i].Severity)
		}
	}
	pending := f.store.PendingHandshakes("m", f.clock.Now())
	if hasNotice(v, CodeApprovalPending) && pending == 0 {
		fail("a pending notice without a pending approval")
	}
	if (v.State == stateAwaitingApproval) != (pending > 0) {
		fail("state %s with %d approvals pending", v.State, pending)
	}
	for _, a := range m.approvals {
		if !a.decided && f.clock.Now().Before(a.view.ExpiresAt) {
			continue
		}
		if resp, _ := f.get(a.view.ApprovalURL, nil); resp.StatusCode == http.StatusOK {
			fail("the approval link of a decided or expired request token still leads to Jira")
		}
	}
	// Approvals Jira no longer keeps are done with.
	all := m.approvals
	m.approvals = nil
	for _, a := range all {
		if !a.decided && f.clock.Now().Before(a.view.ExpiresAt) {
			m.approvals = append(m.approvals, a)
		}
	}
	return ok
}
