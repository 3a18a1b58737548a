package jiratest

import (
	"bytes"
	"reflect"
	"testing"
)

func TestParseForms(t *testing.T) {
	const page = `<!DOCTYPE html><html><head><title>Log in &amp; out - Jira</title>
<style>a<b{}</style><script>if (a<b) { document.write("<form id=fake>") }</script></head>
<body><!-- <form id="commented"> -->
<form id="login-form" method="POST" action="/jira/login.jsp?x=1&amp;y=2">
<input type="text" name="os_username" value="">
<input type=password name=os_password>
<input type="hidden" name="atl_token" value="a&quot;b">
<input type="hidden" name="os_destination" value='/plugins/servlet/oauth/authorize?oauth_token=T'>
<button type="submit" name="login" value="Log In">Log In</button>
<button name="other">x</button>
</form>
<p id="oauth-verifier" class="x"> Ab3dE9 </p>
<form id="unclosed" action="/x"><input name="a" value="1" value="2" disabled>`
	forms := parseForms(page)
	want := []htmlForm{
		{id: "login-form", action: "/jira/login.jsp?x=1&y=2", method: "post", fields: []formField{
			{"input", "text", "os_username", ""},
			{"input", "password", "os_password", ""},
			{"input", "hidden", "atl_token", `a"b`},
			{"input", "hidden", "os_destination", "/plugins/servlet/oauth/authorize?oauth_token=T"},
			{"button", "submit", "login", "Log In"},
			{"button", "submit", "other", ""},
		}},
		{id: "unclosed", action: "/x", fields: []formField{{"input", "text", "a", "1"}}},
	}
	if !reflect.DeepEqual(forms, want) {
		t.Errorf("forms\n got %+v\nwant %+v", forms, want)
	}
	if _, text, ok := findElement(page, "oauth-verifier"); !ok || text != "Ab3dE9" {
		t.Errorf("verifier = %q, %v; want Ab3dE9", text, ok)
	}
	if _, _, ok := findElement(page, "fake"); ok {
		t.Error("found an element inside a script")
	}
	if got := pageTitle(page); got != "Log in & out - Jira" {
		t.Errorf("title = %q", got)
	}
}

// TestParseOwnPages checks that the reader finds what Browser needs in the
// pages the simulated Jira renders.
func TestParseOwnPages(t *testing.T) {
	j := New(Options{ContextPath: "/jira"})
	v := j.newView("Welcome to Jira")
	v.Consumer, v.Token, v.CSRF = `Sync "Co" <script>`, "TOK", "CSRF&1"
	v.Action, v.LogoutAction, v.Destination = "/jira"+PathAuthorize, "/jira"+PathLogout, authorizeDestination("TOK")
	v.Login, v.Email, v.DisplayName = "svc", "svc@example.com", "Service"
	var buf bytes.Buffer
	if err := pages[pageApprove].ExecuteTemplate(&buf, "layout", v); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	f, ok := findForm(parseForms(page), "approve-form")
	if !ok {
		t.Fatal("no approve-form")
	}
	got := map[string]string{}
	for _, fld := range f.fields {
		got[fld.name] = fld.value
	}
	if got["oauth_token"] != "TOK" || got["atl_token"] != "CSRF&1" || got["approve"] != "Allow" || got["deny"] != "Deny" {
		t.Errorf("approve-form fields = %v", got)
	}
	cur, text, ok := findElement(page, "current-user")
	if !ok || text != "Service" || cur.attrs["data-username"] != "svc" || cur.attrs["data-email"] != "svc@example.com" {
		t.Errorf("current-user = %v %q %v", cur.attrs, text, ok)
	}
	if _, name, _ := findElement(page, "consumer-name"); name != `Sync "Co" <script>` {
		t.Errorf("consumer name = %q (escaped and read back)", name)
	}
}

func FuzzParseForms(f *testing.F) {
	for _, s := range []string{
		`<form id="a" action="/x"><input type="hidden" name="n" value="v"></form>`,
		`<p id="oauth-verifier">abc</p>`,
		`<!-- x --><!DOCTYPE html><script>"<"</script><title>t</title>`,
		`<a b='c`, `<form><input name=x value=`, `<<<>>>`, `</form></form><form`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, page string) {
		forms := parseForms(page)
		for _, fm := range forms {
			for _, fld := range fm.fields {
				if fld.typ == "" || (fld.tag != "input" && fld.tag != "button") {
					t.Errorf("bad field %+v", fld)
				}
			}
		}
		findElement(page, "oauth-verifier")
		pageTitle(page)
	})
}
