package jiratest

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

// Page names.
const (
	pageLogin    = "login"
	pageApprove  = "approve"
	pageVerifier = "verifier"
	pageDenied   = "denied"
	pageMessage  = "message"
	pageNotFound = "notfound"
	pageHome     = "home"
)

// pages holds one template per Jira page, each inside the shared layout;
// standalone holds the pages of other servers (SSO proxy, proxy error).
var pages, standalone = parseTemplates()

func parseTemplates() (map[string]*template.Template, *template.Template) {
	layout := template.Must(template.ParseFS(templateFS, "templates/layout.html"))
	m := map[string]*template.Template{}
	for _, name := range []string{pageLogin, pageApprove, pageVerifier, pageDenied, pageMessage, pageNotFound, pageHome} {
		t := template.Must(layout.Clone())
		m[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	other := template.Must(template.ParseFS(templateFS, "templates/sso.html", "templates/proxyerror.html"))
	return m, other
}

// view is the data of every Jira page; each page uses what it needs.
type view struct {
	Title      string
	Version    string
	FlavorName string
	Home       string // the home page path, ending in "/"
	Cloud      bool

	Message string // message page

	// Forms.
	Action       string
	LogoutAction string
	Destination  string
	CSRF         string
	Failed       bool
	Username     string

	// OAuth pages.
	Consumer    string
	Token       string
	DisplayName string
	Login       string
	Email       string
	Verifier    string
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

// render writes a Jira page. Pages hold tokens and CSRF tokens: they are
// not cached, not framed (the Allow button must not be clickjacked) and
// load nothing from elsewhere.
func (j *Jira) render(w http.ResponseWriter, status int, name string, v view) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	writeHTML(w, status, buf.Bytes())
}

// writeHTML writes an HTML answer with the headers of every page.
func writeHTML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// message renders a page with a title and one message.
func (j *Jira) message(w http.ResponseWriter, status int, title, msg string) {
	v := j.newView(title)
	v.Message = msg
	j.render(w, status, pageMessage, v)
}

// notFound is Jira's 404 page.
func (j *Jira) notFound(w http.ResponseWriter, _ *http.Request) {
	j.render(w, http.StatusNotFound, pageNotFound, j.newView("Oops, you've found a dead link."))
}

// homePage is a small dashboard that lists the endpoints.
func (j *Jira) homePage(w http.ResponseWriter, _ *http.Request) {
	j.render(w, http.StatusOK, pageHome, j.newView("System Dashboard"))
}

// ssoPage is the login page of an SSO (SAML) proxy in front of Jira: 200,
// HTML, whatever was asked.
func (j *Jira) ssoPage(w http.ResponseWriter) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	var buf bytes.Buffer
	data := struct{ SAMLRequest string }{base64.StdEncoding.EncodeToString(b)}
	if err := standalone.ExecuteTemplate(&buf, "sso", data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	writeHTML(w, http.StatusOK, buf.Bytes())
}

// proxyError is a reverse proxy's error page with a 5xx status.
func (j *Jira) proxyError(w http.ResponseWriter, status int) {
	if status < 500 || status > 599 {
		status = http.StatusBadGateway
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	var buf bytes.Buffer
	data := struct {
		Code int
		Text string
	}{status, text}
	if err := standalone.ExecuteTemplate(&buf, "proxyerror", data); err != nil {
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	writeHTML(w, status, buf.Bytes())
}
