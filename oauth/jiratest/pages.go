package jiratest

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template per Jira page, named after its file and each
// inside the shared layout; others holds the layout and the pages of other
// servers (an SSO proxy, a proxy error).
var pages, others = parseTemplates()

func parseTemplates() (map[string]*template.Template, *template.Template) {
	others := template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/sso.html", "templates/proxyerror.html"))
	files, _ := fs.Glob(templateFS, "templates/*.html") // the pattern is valid
	m := map[string]*template.Template{}
	for _, f := range files {
		if name := path.Base(f); others.Lookup(name) == nil {
			m[strings.TrimSuffix(name, ".html")] = template.Must(template.Must(others.Clone()).ParseFS(templateFS, f))
		}
	}
	return m, others
}

// view is the data of every Jira page; each page uses what it needs.
type view struct {
	Title, Version, FlavorName string
	Home                       string // the home page path, ending in "/"
	Cloud                      bool

	Message string // message page

	// Forms.
	Action, LogoutAction, Destination, CSRF, Username string
	Failed                                            bool

	// OAuth pages.
	Consumer, Token, DisplayName, Login, Email, Verifier string
}

// newView fills the fields every page shows.
func (j *Jira) newView(title string) view {
	return view{
		Title:      title,
		Version:    j.ver,
		FlavorName: flavorNames[j.flavor],
		Home:       j.contextPath + "/",
		Cloud:      j.flavor == Cloud,
	}
}

// render writes a Jira page.
func (j *Jira) render(w http.ResponseWriter, status int, name string, v view) {
	execute(w, status, pages[name], "layout", v)
}

// execute writes the template name of t. Pages hold tokens and CSRF
// tokens: they are not cached, not framed (the Allow button must not be
// clickjacked) and load nothing from elsewhere.
func execute(w http.ResponseWriter, status int, t *template.Template, name string, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// message renders a page with a title and one message.
func (j *Jira) message(w http.ResponseWriter, status int, title, msg string) {
	v := j.newView(title)
	v.Message = msg
	j.render(w, status, "message", v)
}

// notFound is Jira's 404 page.
func (j *Jira) notFound(w http.ResponseWriter, _ *http.Request) {
	j.render(w, http.StatusNotFound, "notfound", j.newView("Oops, you've found a dead link."))
}

// homePage is a small dashboard that lists the endpoints.
func (j *Jira) homePage(w http.ResponseWriter, _ *http.Request) {
	j.render(w, http.StatusOK, "home", j.newView("System Dashboard"))
}

// ssoPage is the login page of an SSO (SAML) proxy in front of Jira: 200,
// HTML, whatever was asked.
func (j *Jira) ssoPage(w http.ResponseWriter) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	execute(w, http.StatusOK, others, "sso", struct{ SAMLRequest string }{base64.StdEncoding.EncodeToString(b)})
}

// proxyError is a reverse proxy's error page with a 5xx status.
func (j *Jira) proxyError(w http.ResponseWriter, status int) {
	if status < 500 || status > 599 {
		status = http.StatusBadGateway
	}
	execute(w, status, others, "proxyerror", struct {
		Code int
		Text string
	}{status, cmp.Or(http.StatusText(status), "Error")})
}
