package server

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
)

// TestUIFlow is the whole flow in a browser: sign in, create a link, see
// its configuration, start an approval, send the approval link, approve,
// see the result, download the credentials, delete, sign out.
func TestUIFlow(t *testing.T) {
	f := newFixture(t, options{})
	b := f.newBrowser()

	// Signed out: sent to the sign-in page.
	resp, page := b.get("/")
	if resp.Request.URL.Path != "/login" || resp.StatusCode != http.StatusOK {
		t.Fatalf("signed out: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	wantContains(t, page, `name="token"`, `action="/login"`)
	b.signIn()
	resp, page = b.get("/")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "No links yet", "Sign out", `<a href="/" aria-current="page">Links</a>`, `id="announce" aria-live="polite"`)

	// New link through the form.
	resp, page = b.get("/links/new")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	resp, page = b.post("/links", url.Values{"name": {"prod"}, "jira_url": {f.jiraSrv.URL}, "service_account": {svcName}, "environment": {"production"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/links/prod" {
		t.Fatalf("create: %d %s: %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	resp, page = b.get("/links/prod")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	v := f.getLink("prod")
	wantContains(t, html.UnescapeString(page), "Keys made", "Link configured in Jira", "Approved in Jira", "Identity checked",
		v.AppLink.ConsumerKey, v.AppLink.PublicKeyFingerprint, "BEGIN PUBLIC KEY", v.AppLink.CallbackURL,
		v.AppLink.RequestTokenURL, v.AppLink.AccessTokenURL, v.AppLink.AuthorizeURL,
		`data-copy="cfg-public-key"`, "Start approval", "Atlassian product")
	if err := f.jira.AddConsumer(v.AppLink.ConsumerKey, v.AppLink.ConsumerName, []byte(v.AppLink.PublicKey), ""); err != nil {
		t.Fatal(err)
	}

	// Start the approval: Go to Jira, and the approval link.
	resp, page = b.post("/links/prod/handshakes", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d: %s", resp.StatusCode, page)
	}
	resp, page = b.get("/links/prod")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	// Copying the approval link is the primary action; Go to Jira comes
	// second, with the private-window reminder next to it.
	wantContains(t, page, `class="button primary copy" id="copy-approval"`, `aria-describedby="go-to-jira-note"`,
		"Only in a private (incognito) window", `class="badge big info"`, "Awaiting approval")
	authorize := find(t, `<a class="button" id="go-to-jira" href="([^"]+)"[^>]*>Go to Jira`, page)
	approval := find(t, `id="approval-url" value="([^"]+)"`, page)
	if !strings.HasPrefix(authorize, f.jiraSrv.URL+"/plugins/servlet/oauth/authorize?oauth_token=") ||
		!strings.HasPrefix(approval, f.app.URL+"/approve/") {
		t.Fatalf("authorize %s, approval %s", authorize, approval)
	}

	// The service account's owner opens the approval link, signed out.
	other := f.newBrowser()
	resp, page = other.get(approval)
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "Log in as svc-jira, not as yourself")
	if got := find(t, `href="([^"]+)"[^>]*>Continue to Jira`, page); got != authorize {
		t.Errorf("Continue to Jira = %s, want %s", got, authorize)
	}
	cb := f.approve(authorize, svcName, true)
	resp, page = other.get(cb)
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "Approved by Jira Sync Service (svc-jira)")
	if strings.Contains(page, "Back to the link") {
		t.Error("the approver, not signed in, is offered the admin's link page")
	}

	// The dashboard and the link page show who approved.
	resp, page = b.get("/")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "prod", "production", "Authorized", "Jira Sync Service (svc-jira)", f.jiraSrv.URL)
	resp, page = b.get("/links/prod")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "Download credentials", "the service account svc-jira")
	if strings.Count(page, `class="step done"`) != 4 {
		t.Errorf("want 4 steps done in:\n%s", page)
	}

	// Download the credentials.
	resp, page = b.post("/links/prod/credentials", nil)
	wantStatus(t, resp, []byte(page), http.StatusOK)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="applink-prod-credentials.json"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var c credentials
	if err := json.Unmarshal([]byte(page), &c); err != nil || c.TokenSecret == "" || !strings.Contains(c.PrivateKeyPEM, "PRIVATE KEY") {
		t.Fatalf("credentials: %v %+v", err, c)
	}
	f.addSecret(c.TokenSecret)
	callMyself(t, f, c)
	wantContains(t, f.logs.String(), `"event":"credentials_exported"`, `"via":"ui"`)

	// Delete: the name must be typed.
	resp, page = b.post("/links/prod/delete", url.Values{"confirm": {"nope"}})
	wantStatus(t, resp, []byte(page), http.StatusBadRequest)
	// The error sits at the field, tied to it, where the form's
	// action (#confirm) scrolls to and focuses.
	wantContains(t, page, "the name typed did not match", `action="/links/prod/delete#confirm"`,
		`aria-invalid="true" aria-describedby="delete-error"`, `id="delete-error" role="alert"`)
	f.getLink("prod")
	resp, page = b.post("/links/prod/delete", url.Values{"confirm": {"prod"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", resp.StatusCode, page)
	}
	resp, _ = f.api("GET", "/api/links/prod", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("after delete: %d", resp.StatusCode)
	}

	// Sign out.
	resp, _ = b.post("/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp, _ = b.get("/")
	if resp.Request.URL.Path != "/login" {
		t.Errorf("after sign-out: at %s", resp.Request.URL)
	}
	f.storedSecrets("prod")
}

func TestUIWrongApproverEverywhere(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	b := f.newBrowser()
	b.signIn()
	h := f.startHandshake("prod")
	resp, page := b.get(f.approve(h.AuthorizeURL, adminName, true))
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "alert danger big", `data-notice="wrong_approver"`, "Approved by the wrong account", "Alice Admin (alice)", "Back to the link")

	// One badge, "Wrong account", and the danger notice, on the dashboard
	// and the link page; never the green "Authorized".
	for _, path := range []string{"/", "/links/prod"} {
		_, page := b.get(path)
		wantContains(t, page, `data-notice="wrong_approver"`, "alert danger", "Alice Admin (alice)", "View OAuth Access Tokens",
			`class="badge`, ">Wrong account</span>")
		if strings.Contains(page, "success") || strings.Contains(page, ">Authorized<") {
			t.Errorf("%s shows a green badge for a wrong-account token", path)
		}
	}
	_, page = b.get("/links/prod")
	wantContains(t, page, `class="step fail"`, "NOT the service account svc-jira", `name="accept_approver"`)
}

func TestUIFormErrors(t *testing.T) {
	f := newFixture(t, options{})
	b := f.newBrowser()
	b.signIn()
	resp, page := b.post("/links", url.Values{"name": {"bad name"}, "jira_url": {f.jiraSrv.URL}, "service_account": {"svc"}})
	wantStatus(t, resp, []byte(page), http.StatusBadRequest)
	// The error is tied to its field, which is marked invalid.
	wantContains(t, page, "The link name must be", `value="bad name"`,
		`aria-describedby="name-help name-error" aria-invalid="true"`, `id="name-error"`)
	resp, page = b.post("/links", url.Values{"name": {"ok"}, "jira_url": {"ftp://x"}, "service_account": {"svc"}})
	wantStatus(t, resp, []byte(page), http.StatusBadRequest)
	wantContains(t, page, `aria-describedby="jira_url-help jira_url-error" aria-invalid="true"`)
	if n := strings.Count(page, `aria-invalid="true"`); n != 1 {
		t.Errorf("%d fields marked invalid, want 1", n)
	}
	// Every refused field at once, each at its field.
	resp, page = b.post("/links", url.Values{"name": {"bad name"}, "jira_url": {"ftp://x"}})
	wantStatus(t, resp, []byte(page), http.StatusBadRequest)
	wantContains(t, page, `id="name-error"`, `id="jira_url-error"`, `id="service_account-error"`)
	if n := strings.Count(page, `aria-invalid="true"`); n != 3 {
		t.Errorf("%d fields marked invalid, want 3", n)
	}
	f.createLink("taken")
	resp, page = b.post("/links", url.Values{"name": {"taken"}, "jira_url": {f.jiraSrv.URL}, "service_account": {"svc"}})
	wantStatus(t, resp, []byte(page), http.StatusConflict)
	wantContains(t, page, "exists already", `aria-describedby="name-help name-error" aria-invalid="true"`)

	resp, page = b.get("/links/nope")
	wantStatus(t, resp, []byte(page), http.StatusNotFound)
	resp, page = b.get("/no/such/page")
	wantStatus(t, resp, []byte(page), http.StatusNotFound)

	// A Jira failure at the start shows on the link page.
	f.createLink("broken")
	f.jira.RemoveConsumer("applink-broken")
	resp, _ = b.post("/links/broken/handshakes", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	_, page = b.get("/links/broken")
	wantContains(t, page, "consumer_key_unknown", `class="step fail"`, `<span class="step-state">Failed</span>`)
}

func TestUISignIn(t *testing.T) {
	f := newFixture(t, options{})
	b := f.newBrowser()
	resp, page := b.post("/login", url.Values{"token": {"wrong"}})
	wantStatus(t, resp, []byte(page), http.StatusUnauthorized)
	wantContains(t, page, "That is not the admin token")
	wantContains(t, f.logs.String(), "sign-in refused: unauthorized")
	if c := resp.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("a failed sign-in set a cookie: %s", c)
	}

	// Signed-in cookie options.
	resp, _ = b.post("/login", url.Values{"token": {adminToken}})
	c := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"applink_session=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(c, want) {
			t.Errorf("cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Secure") {
		t.Errorf("cookie %q is Secure on plain http", c)
	}
	if strings.Contains(c, adminToken) {
		t.Error("the cookie holds the admin token")
	}
	resp, _ = b.get("/")
	if resp.Request.URL.Path != "/" || resp.StatusCode != http.StatusOK {
		t.Errorf("signed in: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	// GET /login when signed in goes to the dashboard.
	if resp, _ = b.get("/login"); resp.Request.URL.Path != "/" {
		t.Errorf("/login signed in: at %s", resp.Request.URL)
	}

	// The session ends after 12 hours (injected clock).
	f.clock.Advance(12*time.Hour + time.Minute)
	if resp, _ = b.get("/"); resp.Request.URL.Path != "/login" {
		t.Errorf("after 12 hours: at %s", resp.Request.URL)
	}
}

// TestUIBadCookie: a cookie that does not decode is "signed out", never a
// 500.
func TestUIBadCookie(t *testing.T) {
	f := newFixture(t, options{})
	for _, v := range []string{"garbage", "MTIzNDU2Nzg5MA==", strings.Repeat("A", 3000), ""} {
		req, _ := http.NewRequest("GET", f.app.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: "applink_session", Value: v})
		resp, body := f.do(req, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("cookie %.10q: %d %s: %s", v, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		req, _ = http.NewRequest("POST", f.app.URL+"/links", strings.NewReader("name=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "applink_session", Value: v})
		resp, body = f.do(req, nil)
		wantStatus(t, resp, body, http.StatusUnauthorized)
	}
}

// TestUISessionOtherKeys: a session cookie made with other keys (another
// applink, or keys replaced) is signed out.
func TestUISessionOtherKeys(t *testing.T) {
	f := newFixture(t, options{})
	b := f.newBrowser()
	b.signIn()
	other := securecookie.New(make([]byte, 64), make([]byte, 32))
	var id string
	if err := f.srv.sessions.codec.Decode(sessionCookie, b.cookie(), &id); err != nil || id == "" {
		t.Fatalf("id %q: %v", id, err)
	}
	v, err := other.Encode(sessionCookie, id)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.withCookie("GET", "/", v); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestDashboardNotesKeptToken: while a re-approval is pending the
// dashboard says that the token approved earlier still works; after a Deny
// the link is authorized again, with the denial shown.
func TestDashboardNotesKeptToken(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	f.get(f.approve(h.AuthorizeURL, svcName, true), nil)
	b := f.newBrowser()
	b.signIn()
	if _, page := b.get("/"); strings.Contains(page, "data-notice") {
		t.Error("an authorized link carries a notice")
	}
	h = f.startHandshake("prod")
	if _, page := b.get("/"); !strings.Contains(page, `"badge success">Authorized<`) || !strings.Contains(page, `"alert info compact" data-notice="approval_pending"`) {
		t.Errorf("dashboard during a re-approval lacks the badge or the pending notice:\n%s", page)
	}
	f.get(f.approve(h.AuthorizeURL, svcName, false), nil)
	_, page := b.get("/")
	if !strings.Contains(page, `"badge success">Authorized<`) || !strings.Contains(page, `"alert info compact" data-notice="denied"`) ||
		strings.Contains(page, "danger") {
		t.Errorf("dashboard after a denied re-approval lacks the badge or the info notice:\n%s", page)
	}
}

// TestLinkPageShowsAPIStartedApproval: an approval started through the API
// shows its links on the link page, for any signed-in admin, until it
// expires.
func TestLinkPageShowsAPIStartedApproval(t *testing.T) {
	f := newFixture(t, options{})
	f.createLink("prod")
	h := f.startHandshake("prod")
	b := f.newBrowser()
	b.signIn()
	_, page := b.get("/links/prod")
	if !strings.Contains(page, h.ApprovalURL) || !strings.Contains(page, html.EscapeString(h.AuthorizeURL)) {
		t.Errorf("link page lacks the pending approval's links %s and %s", h.ApprovalURL, h.AuthorizeURL)
	}
	f.clock.Advance(11 * time.Minute)
	if _, page := b.get("/links/prod"); strings.Contains(page, h.ApprovalURL) {
		t.Error("link page still offers an expired approval link")
	}
}
