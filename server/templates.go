package server

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/applink/applink/oauth"
)

// Templates and static assets are embedded: applink is one binary.
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed static
	staticFS embed.FS
)

// templateFuncs are the helpers pages use.
var templateFuncs = template.FuncMap{
	"when":          when,
	"startApproval": func() string { return oauth.StartApproval },
}

// parsePages parses each page of the embedded templates/ folder (a file
// that defines "content", which the layout shows) with the layout and the
// partials (the files that define other templates), keyed by file name.
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var pages, shared []string
	for _, f := range files {
		if b, _ := templateFS.ReadFile(f); bytes.HasPrefix(b, []byte(`{{define "content"}}`)) {
			pages = append(pages, f)
		} else {
			shared = append(shared, f)
		}
	}
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, shared...)
	if err != nil {
		return nil, fmt.Errorf("server: parsing the layout and partials: %w", err)
	}
	out := make(map[string]*template.Template, len(pages))
	for _, f := range pages {
		t, err := base.Clone()
		if err == nil {
			_, err = t.ParseFS(templateFS, f)
		}
		if err != nil {
			return nil, fmt.Errorf("server: parsing template %s: %w", f, err)
		}
		out[path.Base(f)] = t
	}
	return out, nil
}

// staticHandler serves the embedded assets under /static/ (the embedded
// folder's path), no folder listing.
func staticHandler() http.Handler {
	files := http.FileServerFS(staticFS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// page is what the layout needs; every page's data embeds it.
type page struct {
	Title string
	// Path is the request's path, for the navigation's aria-current.
	Path      string
	SignedIn  bool
	RequestID string
}

// newPage returns the layout's data for a request.
func (s *Server) newPage(r *http.Request, title string) page {
	return page{Title: title, Path: r.URL.Path, SignedIn: s.who(r) != "", RequestID: requestID(r)}
}

// render executes a page into a buffer, then answers with it, so that a
// template failure gives a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.pages[name]
	var buf bytes.Buffer
	err := fmt.Errorf("no page %s", name)
	if ok {
		err = t.Execute(&buf, data)
	}
	if err != nil {
		s.logger(r.Context()).Error().Err(err).Str("page", name).Msg("rendering a page failed")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, "applink could not show this page (request id %s); the details are in its log.\n", requestID(r))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage is the data of error.html.
type errorPage struct {
	page
	Error *Error
}

// renderError shows an error page with the error's status.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.public(r, asError(err))
	title := cmp.Or(errorTitles[Status(e.Code)], "Jira did not play along")
	s.render(w, r, Status(e.Code), "error.html", errorPage{page: s.newPage(r, title), Error: e})
}

// errorTitles are the headings of error pages by status; any other is
// a failure at Jira.
var errorTitles = map[int]string{
	http.StatusNotFound: "Not found", http.StatusUnauthorized: "Sign-in needed", http.StatusForbidden: "Refused",
	http.StatusGone: "Expired", http.StatusTooManyRequests: "Too many attempts",
	http.StatusInternalServerError: "Something went wrong", http.StatusBadRequest: "Bad request",
}

// when formats a time for people; "—" for none.
func when(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(timeLayout)
}
