package jiratest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestFindForm(t *testing.T) {
	const login = `<!DOCTYPE html><title>Log in</title>
<form id="login-form" method="POST" action="/jira/login.jsp?x=1&amp;y=2">
<input type="text" name="os_username" value="">
<input type=password name=os_password>
<input type="hidden" name="atl_token" value="a&quot;b">
<input type="HIDDEN" name="os_destination" value='/plugins/servlet/oauth/authorize?oauth_token=T'>
<div><button type="submit" name="login" value="Log In">Log In</button></div>
<button name="other">x</button>
</form>`
	tests := []struct {
		name, page, id string
		want           htmlForm
		ok             bool
	}{
		{"login", login, "login-form", htmlForm{action: "/jira/login.jsp?x=1&y=2", method: "post", fields: []formField{
			{"text", "os_username", ""},
			{"password", "os_password", ""},
			{"hidden", "atl_token", `a"b`},
			{"hidden", "os_destination", "/plugins/servlet/oauth/authorize?oauth_token=T"},
			{"submit", "login", "Log In"},
			{"submit", "other", ""},
		}}, true},
		{"other id", login, "approve-form", htmlForm{}, false},
		{"not a form", `<div id="f"><input name="a"></div>`, "f", htmlForm{}, false},
		{"unclosed, repeated attribute", `<form id="f" action="/x"><input name="a" value="1" value="2">`, "f",
			htmlForm{action: "/x", fields: []formField{{"", "a", "1"}}}, true},
		{"in a comment", `<!-- <form id="f"> -->`, "f", htmlForm{}, false},
		{"in a script", `<script>document.write("<form id=f>")</script>`, "f", htmlForm{}, false},
		{"SSO page", `<title>Sign In</title><form id="sso-form" action="#"><input type="hidden" name="SAMLRequest" value="R"></form>`,
			"login-form", htmlForm{}, false},
	}
	for _, tt := range tests {
		got, ok := findForm(parsePage(tt.page), tt.id)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: findForm(%q) = %+v, %v; want %+v, %v", tt.name, tt.id, got, ok, tt.want, tt.ok)
		}
	}
}

func TestElementText(t *testing.T) {
	tests := []struct {
		name, page, id, want string
		found                bool
	}{
		{"verifier", `<p><code class="verifier" id="oauth-verifier"> Ab3dE9 </code></p>`, "oauth-verifier", "Ab3dE9", true},
		{"nested, escaped", `<p id="oauth-denied">You have denied <strong>A &amp; B</strong> access.</p>`, "oauth-denied", "You have denied A & B access.", true},
		{"empty", `<div id="jira-message"></div>`, "jira-message", "", true},
		{"missing", `<p id="other">x</p>`, "oauth-verifier", "", false},
		{"in a script", `<script>"<p id=oauth-verifier>x</p>"</script>`, "oauth-verifier", "", false},
		{"not HTML", `{"oauth-verifier": "x"}`, "oauth-verifier", "", false},
	}
	for _, tt := range tests {
		n := element(parsePage(tt.page), tt.id)
		if got := text(n); (n != nil) != tt.found || got != tt.want {
			t.Errorf("%s: element(%q) found %v, text %q; want %v, %q", tt.name, tt.id, n != nil, got, tt.found, tt.want)
		}
	}
}

func TestPageTitle(t *testing.T) {
	tests := []struct{ page, want string }{
		{`<!DOCTYPE html><html><head><title>Log in &amp; out - Jira</title></head></html>`, "Log in & out - Jira"},
		{`<title> 502 Bad Gateway </title><h1>502</h1>`, "502 Bad Gateway"},
		{`<TITLE>a <b> c</TITLE>`, "a <b> c"},
		{`<h1>no title</h1>`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := pageTitle(parsePage(tt.page)); got != tt.want {
			t.Errorf("pageTitle(%q) = %q; want %q", tt.page, got, tt.want)
		}
	}
}

// TestReadOwnPages checks that Browser finds what it needs in the Allow
// page the simulated Jira renders.
func TestReadOwnPages(t *testing.T) {
	j := New(Options{ContextPath: "/jira"})
	v := j.newView("Welcome to Jira")
	v.Consumer, v.Token, v.CSRF = `Sync "Co" <script>`, "TOK", "CSRF&1"
	v.Action, v.LogoutAction, v.Destination = "/jira"+PathAuthorize, "/jira"+PathLogout, authorizeDestination("TOK")
	v.Login, v.Email, v.DisplayName = "svc", "svc@example.com", "Service"
	var buf bytes.Buffer
	if err := pages["approve"].ExecuteTemplate(&buf, "layout", v); err != nil {
		t.Fatal(err)
	}
	doc := parsePage(buf.String())
	f, ok := findForm(doc, "approve-form")
	want := htmlForm{action: "/jira" + PathAuthorize, method: "post", fields: []formField{
		{"hidden", "oauth_token", "TOK"}, {"hidden", "atl_token", "CSRF&1"},
		{"submit", "approve", "Allow"}, {"submit", "deny", "Deny"},
	}}
	if !ok || !reflect.DeepEqual(f, want) {
		t.Errorf("approve-form = %+v, %v; want %+v", f, ok, want)
	}
	if got := pageTitle(doc); got != "Welcome to Jira - Jira" {
		t.Errorf("title = %q", got)
	}
	cur := element(doc, "current-user")
	if got := []string{text(cur), attr(cur, "data-username"), attr(cur, "data-email")}; !reflect.DeepEqual(got, []string{"Service", "svc", "svc@example.com"}) {
		t.Errorf("current-user: text, user name, email = %q", got)
	}
	if !sameUser(cur, " SVC@example.com") || sameUser(cur, "other") {
		t.Error("sameUser does not match by user name or email")
	}
	if got := text(element(doc, "consumer-name")); got != `Sync "Co" <script>` {
		t.Errorf("consumer name = %q (escaped and read back)", got)
	}
}

// FuzzReadPage checks that reading any page never panics.
func FuzzReadPage(f *testing.F) {
	for _, s := range []string{
		`<form id="login-form" action="/x"><input type="hidden" name="n" value="v"></form>`,
		`<p id="oauth-verifier">abc</p>`,
		`<!-- x --><!DOCTYPE html><script>"<"</script><title>t</title>`,
		`<a b='c`, `<form id=login-form><input name=x value=`, `<<<>>>`, `</form></form><form`,
		`<svg><title id=jira-message>x</title></svg><table><form id=approve-form><tr><td><input>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, page string) {
		doc := parsePage(page)
		findForm(doc, "approve-form")
		sameUser(element(doc, "current-user"), "svc")
		text(element(doc, "oauth-verifier"))
		pageTitle(doc)
	})
}

// parsePage parses a page as Browser does.
func parsePage(body string) *html.Node {
	doc, _ := html.Parse(strings.NewReader(body)) // a strings.Reader does not fail
	return doc
}
