package jiratest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"

	"github.com/applink/applink/fault"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxPage bounds the size of a page Browser reads.
const maxPage = 1 << 20

// Browser is a person at a web browser on the simulated Jira: it follows
// the authorize URL, logs in on the login form, and clicks Allow or Deny,
// all over HTTP like a real browser, with its own cookie jar. It submits
// every hidden field of each form (the atl_token included) and sends
// Sec-Fetch-Site: same-origin with its form posts, as browsers do.
type Browser struct {
	// Client sends the requests. nil: a new client with a new cookie jar
	// for each Approve, as a fresh private window. A client given here is
	// copied: its Transport and Jar are used (a jar that holds a Jira
	// session starts logged in), and its CheckRedirect is replaced by one
	// that stops at the consumer's callback.
	Client *http.Client
}

// Approve opens authorizeURL, logs in as user with password, clicks Allow
// (allow) or Deny, and returns where Jira sends the browser: the consumer's
// callback URL with oauth_token and oauth_verifier, not followed. For an
// oob request token it returns a nil URL and the verification code shown on
// the page ("denied" after Deny).
//
// When the browser is already logged in as someone else, it clicks "Not
// you? Log out" first, as a careful person does. It fails with a *fault.Error:
// CodeLoginFailed for a wrong user name or password, CodeUnexpectedPage for
// any page that is not Jira's login, Allow or result page (an SSO proxy, an
// expired token, a 404...), CodeHTTP when no page could be had at all.
func (b *Browser) Approve(ctx context.Context, authorizeURL, user, password string, allow bool) (callback *url.URL, verifier string, err error) {
	au, err := url.Parse(authorizeURL)
	if err != nil || (au.Scheme != "http" && au.Scheme != "https") || au.Host == "" {
		return nil, "", &fault.Error{Code: CodeBadInput, Message: "the authorize URL is not an absolute http(s) URL"}
	}
	idx := strings.Index(au.Path, PathAuthorize)
	if idx < 0 {
		return nil, "", &fault.Error{Code: CodeBadInput, Message: "the authorize URL does not end in " + PathAuthorize}
	}
	site := &url.URL{Scheme: au.Scheme, Host: au.Host, Path: au.Path[:idx]}
	c := b.client(site)

	page, err := fetch(ctx, c, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, "", err
	}
	triedLogin, loggedOut, decided := false, false, false
	for range 8 {
		if page.away != nil {
			if decided {
				return page.away, "", nil
			}
			return nil, "", &fault.Error{Code: CodeUnexpectedPage, Status: page.status,
				Message: fmt.Sprintf("the browser was sent away from Jira to %s before the Allow page (an SSO proxy?)", withoutQuery(page.away))}
		}
		var next htmlForm
		var button string
		var values map[string]string
		if af, ok := findForm(page.doc, "approve-form"); ok && !decided {
			cur := element(page.doc, "current-user")
			lf, canLogOut := findForm(page.doc, "logout-form")
			switch {
			case sameUser(cur, user):
				next, button, decided = af, "deny", true
				if allow {
					button = "approve"
				}
			case loggedOut || !canLogOut:
				return nil, "", &fault.Error{Code: CodeUnexpectedPage, Status: page.status,
					Message: fmt.Sprintf("the Allow page is for %q, not %q", attr(cur, "data-username"), user)}
			default:
				next, button, loggedOut = lf, "logout", true
			}
		} else if lf, ok := findForm(page.doc, "login-form"); ok && !decided {
			if triedLogin || page.header.Get("X-Seraph-LoginReason") == "AUTHENTICATED_FAILED" {
				return nil, "", &fault.Error{Code: CodeLoginFailed, Status: page.status,
					Message: fmt.Sprintf("Jira refused the login of %q: wrong user name or password", user)}
			}
			next, button, triedLogin = lf, "login", true
			values = map[string]string{"os_username": user, "os_password": password}
		} else if code := text(element(page.doc, "oauth-verifier")); decided && code != "" {
			return nil, code, nil
		} else if decided && element(page.doc, "oauth-denied") != nil {
			return nil, "denied", nil
		} else {
			return nil, "", unexpectedPage(page)
		}
		if page, err = submit(ctx, c, page, next, button, values); err != nil {
			return nil, "", err
		}
	}
	return nil, "", &fault.Error{Code: CodeUnexpectedPage, Status: page.status, Message: "the browser went round in circles on Jira's pages"}
}

// sameUser reports whether the current-user element names user (by user
// name or email, compared as Jira compares them); a nil element names no one.
func sameUser(cur *html.Node, user string) bool {
	user = strings.TrimSpace(user)
	if user == "" {
		return false
	}
	return sameName(attr(cur, "data-username"), user) || sameName(attr(cur, "data-email"), user)
}

// unexpectedPage describes a page Browser does not know.
func unexpectedPage(p *page) *fault.Error {
	msg := fmt.Sprintf("unexpected page %q (HTTP %d)", cmp.Or(pageTitle(p.doc), "untitled"), p.status)
	if m := text(element(p.doc, "jira-message")); m != "" {
		msg += ": " + m
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		msg += " of type " + ct
	}
	return &fault.Error{Code: CodeUnexpectedPage, Status: p.status, Message: msg}
}

// client is the http.Client of one Approve: b.Client's transport and jar
// (or new ones), and redirects followed only within Jira's browser pages.
func (b *Browser) client(site *url.URL) *http.Client {
	var c http.Client
	if b.Client != nil {
		c = *b.Client
	}
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil) // cookiejar.New never fails without options
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if !insideJira(site, req.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &c
}

// insideJira reports whether u is one of the simulated Jira's browser
// pages (authorize, login, logout, home); anything else is the consumer's
// callback or another site.
func insideJira(site, u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, site.Scheme) || !strings.EqualFold(u.Host, site.Host) {
		return false
	}
	rel, ok := strings.CutPrefix(u.Path, site.Path)
	return ok && slices.Contains([]string{PathAuthorize, PathLogin, PathLogout, "/", ""}, rel)
}

// page is what the browser shows after a request.
type page struct {
	url    *url.URL // the page's URL, after redirects within Jira
	status int
	header http.Header
	doc    *html.Node // the body, parsed
	away   *url.URL   // a redirect out of Jira, not followed
}

// fetch sends one request and reads the page.
func fetch(ctx context.Context, c *http.Client, method, target string, form url.Values) (*page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, &fault.Error{Code: CodeHTTP, Message: "cannot make a request", Err: err}
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, &fault.Error{Code: CodeHTTP, Message: fmt.Sprintf("%s %s failed", method, withoutQuery(req.URL)), Err: err}
	}
	defer resp.Body.Close()
	doc, err := html.Parse(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return nil, &fault.Error{Code: CodeHTTP, Message: "cannot read a page", Err: err}
	}
	p := &page{url: resp.Request.URL, status: resp.StatusCode, header: resp.Header, doc: doc}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc, err := resp.Location()
		if err != nil {
			return nil, &fault.Error{Code: CodeHTTP, Status: resp.StatusCode, Message: "a redirect without a usable Location", Err: err}
		}
		p.away = loc
	}
	return p, nil
}

// submit posts form f of page p as a browser does: every hidden field as
// it is, the given values for the other inputs, and the one submit button
// named button.
func submit(ctx context.Context, c *http.Client, p *page, f htmlForm, button string, values map[string]string) (*page, error) {
	form := url.Values{}
	for _, fld := range f.fields {
		v, given := values[fld.name]
		switch {
		case fld.name == "":
		case fld.typ == "hidden" || fld.typ == "submit" && fld.name == button:
			form.Add(fld.name, fld.value)
		case fld.typ != "submit" && given:
			form.Add(fld.name, v)
		}
	}
	action, err := p.url.Parse(f.action)
	if err != nil {
		return nil, &fault.Error{Code: CodeUnexpectedPage, Status: p.status, Message: "a form with a bad action URL", Err: err}
	}
	method := http.MethodPost
	if f.method == "get" {
		method = http.MethodGet
		action.RawQuery = form.Encode()
		form = nil
	}
	return fetch(ctx, c, method, action.String(), form)
}

// withoutQuery writes u for a message: no user info, query or fragment,
// which may hold tokens and verifiers.
func withoutQuery(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// element returns the first element of doc whose id is id, or nil.
func element(doc *html.Node, id string) *html.Node {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			return n
		}
	}
	return nil
}

// attr returns the value of n's attribute key, "" when it has none (or n
// is nil).
func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text returns the text inside n (nil: ""), trimmed.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// pageTitle returns the text of the title element of doc.
func pageTitle(doc *html.Node) string {
	for n := range doc.Descendants() {
		if n.DataAtom == atom.Title {
			return text(n)
		}
	}
	return ""
}

// htmlForm is a form and its fields, in document order.
type htmlForm struct {
	action, method string // method in lower case
	fields         []formField
}

// formField is an input or a button: its type (lower case; "submit" for a
// button without one), name and value.
type formField struct{ typ, name, value string }

// findForm returns the form of doc whose id is id.
func findForm(doc *html.Node, id string) (htmlForm, bool) {
	n := element(doc, id)
	if n == nil || n.DataAtom != atom.Form {
		return htmlForm{}, false
	}
	f := htmlForm{action: attr(n, "action"), method: strings.ToLower(attr(n, "method"))}
	for d := range n.Descendants() {
		if d.DataAtom == atom.Input || d.DataAtom == atom.Button {
			typ := strings.ToLower(attr(d, "type"))
			if typ == "" && d.DataAtom == atom.Button {
				typ = "submit"
			}
			f.fields = append(f.fields, formField{typ, attr(d, "name"), attr(d, "value")})
		}
	}
	return f, true
}
