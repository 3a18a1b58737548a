package server

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// parseForm reads a form body of at most maxBody bytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return asError(err)
		}
		return &Error{Code: CodeBadRequest, Message: "The form did not arrive intact.", Hint: "Reload the page and try again.", Err: err}
	}
	return nil
}

// loginPage is the data of login.html: Provider names the OpenID
// provider ("" without one), TokenOff hides the admin token's form.
type loginPage struct {
	page
	Error    *Error
	Provider string
	TokenOff bool
}

// pageLogin is GET /login.
func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	if s.who(r) != "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.loginFailed(w, r, nil)
}

// loginFailed shows the sign-in page with err (none when nil), whose
// cause is logged; a refused sign-in counts for the sign-in limiter.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, err error) {
	data, status := loginPage{page: s.newPage(r, "Sign in")}, http.StatusOK
	if s.oidc != nil {
		data.Provider, data.TokenOff = s.oidc.Name, s.oidc.Only
	}
	if err != nil {
		data.Error = s.public(r, asError(err))
		status = Status(data.Error.Code)
		if data.Error.Err != nil {
			s.logger(r.Context()).Warn().Err(data.Error.Err).Str("code", string(data.Error.Code)).Msg("why a sign-in failed")
		}
		if data.Error.Code != CodeProviderDown {
			s.signInFailed(r, "sign-in refused: "+string(data.Error.Code))
		}
	}
	s.render(w, r, status, "login.html", data)
}

// postLogin is POST /login: the admin token in field "token".
func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	if token := r.PostForm.Get("token"); s.oidc != nil && s.oidc.Only {
		s.loginFailed(w, r, &Error{Code: CodeNotAllowed, Message: "The admin token does not sign in to these pages.",
			Hint: "Sign in with " + s.oidc.Name + "; the admin token still works for the API and scripts."})
	} else if token == "" || !s.tokenEqual(token) {
		s.loginFailed(w, r, &Error{Code: CodeUnauthorized, Message: "That is not the admin token.",
			Hint: "Use the token kept in the admin-token file of applink's data folder, or APPLINK_ADMIN_TOKEN when it is set."})
	} else {
		s.signIn(w, r, "admin token")
	}
}

// signIn starts a new session for who (an id known before is worth
// nothing) and opens the dashboard.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, who string) {
	sess, _ := s.sessions.Get(r, sessionCookie)
	sess.ID, sess.Values = "", map[any]any{"who": who}
	if err := sess.Save(r, w); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.logger(r.Context()).Info().Bool("audit", true).Str("event", "signed_in").Str("by", who).Stringer("client", s.clientAddr(r)).Msg("admin signed in")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// postLogout is POST /logout, where the session ends for good, and POST
// /logout/everywhere (signed in only), where every session ends.
func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.sessions.Get(r, sessionCookie)
	event, n, err, who := "signed_out", 0, error(nil), s.who(r)
	if r.URL.Path != "/logout" {
		event = "signed_out_everywhere"
		n, err = s.store.EndSessions(nil)
	}
	sess.Options.MaxAge = -1 // the record is deleted, the cookie expired
	if err = errors.Join(err, sess.Save(r, w)); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.logger(r.Context()).Info().Bool("audit", true).Str("event", event).Int("sessions", n).Str("by", who).Msg("admin signed out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// dashboardPage is the data of dashboard.html.
type dashboardPage struct {
	page
	Links []*LinkView
	Who   string // who signed in
}

// pageDashboard is GET /: every link.
func (s *Server) pageDashboard(w http.ResponseWriter, r *http.Request) {
	views, err := s.listViews()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard.html", dashboardPage{page: s.newPage(r, "Links"), Links: views, Who: s.who(r)})
}

// linkForm is the data of new.html and edit.html (the form in
// linkform.html): the values typed and the errors by field ("": about no
// field, shown above the form).
type linkForm struct {
	page
	Input  LinkInput
	Edit   bool
	Errors map[string]*Error
}

// renderLinkForm renders new.html or edit.html with in and err, an
// error of the form (nil: none); a missing link or an internal failure
// gets the error page.
func (s *Server) renderLinkForm(w http.ResponseWriter, r *http.Request, name string, in LinkInput, err error) {
	data, status := linkForm{page: s.newPage(r, "New link"), Input: in, Edit: name == "edit.html"}, http.StatusOK
	if data.Edit {
		data.page = s.newPage(r, "Edit "+in.Name)
	}
	if err != nil {
		e := asError(err)
		if status = Status(e.Code); status == http.StatusInternalServerError || e.Code == CodeLinkNotFound {
			s.renderError(w, r, e)
			return
		}
		data.Errors = map[string]*Error{e.Field: e}
		for _, fe := range e.Errors {
			data.Errors[fe.Field] = fe
		}
	}
	s.render(w, r, status, name, data)
}

// pageNewLink is GET /links/new.
func (s *Server) pageNewLink(w http.ResponseWriter, r *http.Request) {
	s.renderLinkForm(w, r, "new.html", LinkInput{}, nil)
}

// postLink is POST /links, the new-link form, and POST
// /links/{name}/edit, the edit form, which sends every field it shows.
func (s *Server) postLink(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	f, form := r.PostForm, "new.html"
	in := LinkInput{Name: f.Get("name"), JiraURL: f.Get("jira_url"), ServiceAccount: f.Get("service_account"),
		ConsumerKey: f.Get("consumer_key"), ConsumerName: f.Get("consumer_name"), Environment: f.Get("environment"), CAPEM: f.Get("ca_pem")}
	var v *LinkView
	var err error
	if name := r.PathValue("name"); name != "" {
		in.Name, form = name, "edit.html"
		v, err = s.EditLink(r.Context(), name, LinkEdit{JiraURL: &in.JiraURL, ServiceAccount: &in.ServiceAccount,
			Environment: &in.Environment, ConsumerName: &in.ConsumerName, CAPEM: &in.CAPEM})
	} else {
		v, err = s.CreateLink(r.Context(), in)
	}
	if err != nil {
		s.renderLinkForm(w, r, form, in, err)
		return
	}
	http.Redirect(w, r, "/links/"+url.PathEscape(v.Name), http.StatusSeeOther)
}

// pageEdit is GET /links/{name}/edit: the link's fields, to change.
func (s *Server) pageEdit(w http.ResponseWriter, r *http.Request) {
	l, _, _, err := s.load(r.PathValue("name"), false, false)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.renderLinkForm(w, r, "edit.html", LinkEdit{}.onto(l), nil)
}

// step is one step of a link's progress.
type step struct {
	Title  string
	Detail string
	Status string // "done", "current", "todo", "warn", "fail"
}

// Label is the step's state in words, so that it does not rest on colour.
func (s step) Label() string {
	return cmp.Or(map[string]string{"done": "Done", "current": "Next", "warn": "Check", "fail": "Failed"}[s.Status], "To do")
}

// linkPage is the data of link.html.
type linkPage struct {
	page
	Link        *LinkView // its Badge, its AppLink (the Description field), AuthorizedAt (nil without a token)
	Steps       []step
	Guides      []oauth.UIGuide
	Pending     *HandshakeView
	DeleteError *Error
	ExportError *Error
	Preflight   *oauth.PreflightResult // the result of Check link, when just run
	// PermissionsError is the failure of the latest permission audit
	// asked from this page.
	PermissionsError *Error
}

// pageLink is GET /links/{name}.
func (s *Server) pageLink(w http.ResponseWriter, r *http.Request) {
	s.showLink(w, r, http.StatusOK, linkPage{})
}

// showLink renders a link's page; data may carry a form's error.
func (s *Server) showLink(w http.ResponseWriter, r *http.Request, status int, data linkPage) {
	l, _, _, err := s.load(r.PathValue("name"), false, false)
	if e := (*Error)(nil); errors.As(err, &e) && e.Code == store.CodeCorrupt { // its record: shown failed, to be deleted
		l, err = &store.Link{Name: r.PathValue("name"), LastError: e}, nil
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	cfg, err := s.viewConfig(l)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	f := s.facts(l, cfg, nil)
	v := s.view(f, cfg)
	data.page = s.newPage(r, v.Name)
	data.Link, data.Steps, data.Guides = v, steps(v), oauth.UISteps()
	// The pending approval, however it was started (this page, another
	// admin session, the API), so that its links can be copied here.
	data.Pending = s.handshakeView(f.pending)
	s.render(w, r, status, "link.html", data)
}

// steps is a link's progress: keys made, link configured in Jira
// (inferred once Jira accepts a request token), approved, identity
// checked (from the verdict).
func steps(v *LinkView) []step {
	out := []step{{
		Title:  "Keys made",
		Detail: "RSA key pair, public key " + v.AppLink.PublicKeyFingerprint + ".",
		Status: "done",
	}}
	configured := step{Title: "Link configured in Jira"}
	switch {
	// Jira accepted the link's signed request, as far as applink has seen: it issued a token or a
	// request token, or the latest attempt failed after the request-token step.
	case v.AuthorizedAt != nil || v.State == stateAwaitingApproval || v.LastError != nil && v.LastError.Step != "request_token":
		configured.Status = "done"
		configured.Detail = "Jira accepted applink's signed request for consumer key " + v.AppLink.ConsumerKey + "."
	case v.LastError != nil && v.LastError.Step == "request_token":
		configured.Status = "fail"
		configured.Detail = "Not confirmed: Jira did not accept the request. " + v.LastError.Message
		if oauth.Unanswered(v.LastError.Code) {
			configured.Detail = "Not confirmed: Jira did not answer. " + v.LastError.Message
		}
	default:
		configured.Status = "current"
		configured.Detail = "Paste the Application Link configuration below into Jira, then click " + oauth.StartApproval + ": applink confirms this step when Jira accepts its request."
	}
	out = append(out, configured)

	approved := step{Title: "Approved in Jira"}
	switch {
	case v.AuthorizedAt != nil:
		approved.Status = "done"
		approved.Detail = "Approved by " + v.AuthorizedAs.String() + " on " + when(v.AuthorizedAt) + "."
	case v.State == stateAwaitingApproval:
		approved.Status = "current"
		approved.Detail = "Waiting for " + v.ServiceAccount + " to log in to Jira and click Allow."
	case v.State == stateDenied:
		approved.Status = "fail"
		approved.Detail = "Someone clicked Deny in Jira."
	case configured.Status == "done":
		approved.Status = "current"
		approved.Detail = "Click " + oauth.StartApproval + ", then have " + v.ServiceAccount + " click Allow in Jira."
	default:
		approved.Status = "todo"
		approved.Detail = "The service account " + v.ServiceAccount + " logs in to Jira and clicks Allow."
	}
	out = append(out, approved)

	identity := step{Title: "Identity checked"}
	switch {
	case v.Verdict == nil && v.LastError != nil && (v.LastError.Code == oauth.CodeWrongApprover || v.LastError.Code == oauth.CodeAccountReplaced):
		identity.Status = "fail"
		identity.Detail = v.LastError.Message
	case v.Verdict == nil:
		identity.Status = "todo"
		identity.Detail = "applink asks Jira who approved and compares with " + v.ServiceAccount + "."
	case *v.Verdict == oauth.VerdictMatch:
		identity.Status = "done"
		identity.Detail = "The token acts as " + v.AuthorizedAs.String() + ", the service account " + v.ServiceAccount + "."
	case *v.Verdict == oauth.VerdictMismatch:
		identity.Status = "fail"
		identity.Detail = "The token acts as " + v.AuthorizedAs.String() + ", NOT the service account " + v.ServiceAccount + "."
	default:
		identity.Status = "warn"
		identity.Detail = "applink cannot confirm that the token acts as the service account " + v.ServiceAccount + "."
	}
	return append(out, identity)
}

// postHandshake is POST /links/{name}/handshakes: start an approval and
// show it on the link page. A failure at Jira is the link's last error,
// shown on its page; only a missing link or an internal failure gets an
// error page.
func (s *Server) postHandshake(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.StartHandshake(r.Context(), name); err != nil {
		if e := asError(err); e.Code == CodeLinkNotFound || Status(e.Code) == http.StatusInternalServerError {
			s.renderError(w, r, e)
			return
		}
		http.Redirect(w, r, "/links/"+url.PathEscape(name), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/links/"+url.PathEscape(name)+"#approval", http.StatusSeeOther)
}

// postCredentials is POST /links/{name}/credentials: download the
// credentials as a JSON file. A token not confirmed to act as the service
// account needs the form's accept_approver confirmation, naming the
// approval the page showed; without it, or for another approval, the link
// page asks again.
func (s *Server) postCredentials(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	name := r.PathValue("name")
	c, err := s.exportCredentials(r.Context(), name, "ui", r.PostForm.Get("accept_approver"), r)
	if e := asError(err); err != nil && (e.Code == oauth.CodeApproverNotConfirmed || e.Code == CodeApprovalChanged) {
		s.showLink(w, r, Status(e.Code), linkPage{ExportError: e})
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="applink-`+name+`-credentials.json"`)
	writeJSON(w, http.StatusOK, c)
}

// postDelete is POST /links/{name}/delete: the form must repeat the
// link's name in field "confirm".
func (s *Server) postDelete(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if r.PostForm.Get("confirm") != name {
		s.showLink(w, r, http.StatusBadRequest, linkPage{DeleteError: &Error{Code: CodeInvalidInput,
			Message: "The link was not deleted: the name typed did not match.",
			Hint:    "Type the link's name exactly to confirm."}})
		return
	}
	if err := s.DeleteLink(r.Context(), name); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// pageNotFound answers any other path.
func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, &Error{Code: store.CodeNotFound, Message: "There is no page at this address.",
		Hint: "Go back to the list of links."})
}
