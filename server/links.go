package server

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// LinkInput is what a new link needs: the JSON body of POST /api/links and
// the new-link form.
type LinkInput struct {
	// Name is a short slug (letters, digits, '-', '_'; 1 to 64), such as
	// "prod" or "sandbox".
	Name string `json:"name"`
	// JiraURL is the Jira base URL, context path included.
	JiraURL string `json:"jira_url"`
	// ServiceAccount is the account that must approve: a username, user
	// key, account id or email address.
	ServiceAccount string `json:"service_account"`
	// ConsumerKey defaults to "applink-" + Name.
	ConsumerKey string `json:"consumer_key"`
	// ConsumerName defaults to package keys' default ("applink: " +
	// ConsumerKey).
	ConsumerName string `json:"consumer_name"`
	// Environment is a free label such as "production" or "sandbox".
	Environment string `json:"environment"`
	// CAPEM holds the certificates (PEM) of a private CA that signed
	// Jira's certificate, trusted for this link's calls besides the
	// system's CAs; empty for none.
	CAPEM string `json:"ca_pem"`
	// Projects are the keys of the Jira projects the integration works
	// in, which the permission audit checks.
	Projects []string `json:"projects"`
}

// Limits of the fields of a link.
const maxFieldLen = 200

// validName reports whether name is a link name: 1 to 64 ASCII letters,
// digits, '-' and '_' (store.CheckName).
func validName(name string) bool {
	return store.CheckName(name) == nil
}

// checkText refuses a field that is too long, not UTF-8, or holds control
// characters.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("The %s is longer than %d characters.", field, max)}
	}
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("The %s holds characters that are not allowed (control characters or invalid UTF-8).", field)}
	}
	return nil
}

// normalize checks a LinkInput and returns the link record it describes
// (state new, no consumer name default yet). White space around each
// field is trimmed; the Jira URL is normalised by oauth.ParseBaseURL.
func normalize(in LinkInput) (*store.Link, error) {
	l := &store.Link{
		Name:           strings.TrimSpace(in.Name),
		ServiceAccount: strings.TrimSpace(in.ServiceAccount),
		Environment:    strings.TrimSpace(in.Environment),
		ConsumerKey:    strings.TrimSpace(in.ConsumerKey),
		ConsumerName:   strings.TrimSpace(in.ConsumerName),
	}
	if !validName(l.Name) {
		return nil, &Error{Code: CodeInvalidName,
			Message: "The link name must be 1 to 64 letters, digits, '-' or '_'.",
			Hint:    "Use a short slug such as prod or sandbox."}
	}
	jiraURL := strings.TrimSpace(in.JiraURL)
	if err := checkText("Jira URL", jiraURL, 2048); err != nil {
		return nil, &Error{Code: CodeInvalidJiraURL, Message: err.(*Error).Message}
	}
	base, err := oauth.ParseBaseURL(jiraURL)
	if err != nil {
		e := &Error{Code: CodeInvalidJiraURL, Message: "The Jira URL must be an absolute http or https URL.",
			Hint: "Give the address you open Jira at, such as https://jira.example.com or https://jira.example.com/jira.", Err: err}
		var oe *oauth.Error
		if errors.As(err, &oe) {
			e.Message, e.Hint = oe.Message, oe.Hint
		}
		return nil, e
	}
	l.JiraURL = oauth.EndpointsFor(base).Base
	if l.ServiceAccount == "" {
		return nil, &Error{Code: CodeInvalidInput, Message: "The service account is missing.",
			Hint: "Give the Jira account the integration must act as: its username, user key, account id or email address."}
	}
	for _, f := range []struct{ name, v string }{
		{"service account", l.ServiceAccount}, {"environment", l.Environment}, {"consumer name", l.ConsumerName},
	} {
		if err := checkText(f.name, f.v, maxFieldLen); err != nil {
			return nil, err
		}
	}
	if l.CAPEM = strings.TrimSpace(in.CAPEM); l.CAPEM != "" {
		if _, err := oauth.ParseCAs([]byte(l.CAPEM)); err != nil {
			e, _ := fault.As(err)
			return nil, &Error{Code: CodeInvalidInput, Message: upperFirst(e.Message) + ".", Hint: upperFirst(e.Hint) + ".", Err: err}
		}
	}
	if l.Projects, err = oauth.ParseProjectKeys(in.Projects); err != nil {
		e, _ := fault.As(err)
		return nil, &Error{Code: CodeInvalidInput, Message: upperFirst(e.Message) + ".", Hint: upperFirst(e.Hint) + ".", Err: err}
	}
	if len(l.Projects) == 0 {
		l.Projects = nil
	}
	if l.ConsumerKey == "" {
		l.ConsumerKey = "applink-" + l.Name
	}
	if err := oauth.CheckConsumerKey(l.ConsumerKey); err != nil {
		e, _ := fault.As(err)
		return nil, &Error{Code: CodeInvalidInput, Message: e.Message, Hint: e.Hint, Err: err}
	}
	return l, nil
}

// CreateLink creates a link: it checks the input, makes the key pair and
// saves both; the link starts in state "new". It is what POST /api/links
// does (and `applink demo` calls it). Errors are *Error; an existing name
// gives CodeExists, wrapping a *fault.Error with store.CodeExists.
func (s *Server) CreateLink(ctx context.Context, in LinkInput) (*LinkView, error) {
	l, err := normalize(in)
	if err != nil {
		return nil, err
	}
	if err := s.checkJiraHost(ctx, l.JiraURL, true); err != nil {
		return nil, err
	}
	if _, err := s.store.GetLink(l.Name); err == nil {
		return nil, errLinkExists(l.Name, nil)
	} else if !isNotFound(err) {
		return nil, err
	}
	key, err := s.newKey()
	if err != nil {
		return nil, err
	}
	cfg, err := s.describe(l, &key.PublicKey)
	if err != nil {
		return nil, err
	}
	l.ConsumerName = cfg.ConsumerName
	now := s.now().UTC()
	l.CreatedAt, l.UpdatedAt = now, now
	// Checked and created under the lock, so that two links never share a
	// consumer key on one Jira.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkConsumerKeyFree(l); err != nil {
		return nil, err
	}
	if err := s.store.CreateLink(l, key); err != nil {
		if fault.Is(err, store.CodeExists) {
			return nil, errLinkExists(l.Name, err)
		}
		return nil, err
	}
	s.configs.Store(l.Name, cfg)
	s.audit(ctx, "link_created", l.Name).
		Str("jira_url", l.JiraURL).Str("service_account", l.ServiceAccount).
		Str("consumer_key", l.ConsumerKey).Str("public_key_fingerprint", cfg.PublicKeyFingerprint).
		Msg("link created")
	return s.view(linkFacts{link: l}, cfg), nil
}

// checkConsumerKeyFree refuses a link whose consumer key another link
// already uses on the same Jira: Jira keeps one public key per consumer key,
// so registering the second would break the first (and editing the first's
// Application Link deletes its tokens).
func (s *Server) checkConsumerKeyFree(l *store.Link) error {
	links, err := s.store.ListLinks()
	if err != nil {
		return err
	}
	for _, o := range links {
		if o.JiraURL == l.JiraURL && o.ConsumerKey == l.ConsumerKey {
			return &Error{Code: CodeConsumerKeyTaken,
				Message: fmt.Sprintf("The link %q already uses consumer key %q on %s.", o.Name, l.ConsumerKey, l.JiraURL),
				Hint:    "Give this link another consumer_key: Jira holds one public key per consumer key, so two links cannot share one."}
		}
	}
	return nil
}

// errLinkExists is the 409 for a taken name. It wraps a *fault.Error with
// store.CodeExists so that callers of CreateLink may test for either.
func errLinkExists(name string, cause error) *Error {
	if cause == nil {
		cause = fault.New(store.CodeExists, "link "+name+" exists", "")
	}
	return &Error{Code: CodeExists, Message: fmt.Sprintf("A link named %q exists already.", name),
		Hint: "Pick another name, or delete the existing link first.", Err: cause}
}

// errNoLink is the 404 for an unknown link name.
func errNoLink(name string) *Error {
	msg := "There is no link of that name."
	if validName(name) {
		msg = fmt.Sprintf("There is no link named %q.", name)
	}
	return &Error{Code: CodeLinkNotFound, Message: msg, Hint: "The list of links shows the ones that exist."}
}

// isNotFound reports whether err is the store's CodeNotFound.
func isNotFound(err error) bool {
	return fault.Is(err, store.CodeNotFound)
}

// getLink returns a link by name, or errNoLink.
func (s *Server) getLink(name string) (*store.Link, error) {
	if !validName(name) {
		return nil, errNoLink(name)
	}
	l, err := s.store.GetLink(name)
	if isNotFound(err) {
		return nil, errNoLink(name)
	}
	return l, err
}

// updateLink reads, changes with f and saves a link, under the server's
// lock so that concurrent changes do not lose each other. f may save
// other things (the token) under the same lock; an error from f saves
// nothing.
func (s *Server) updateLink(name string, f func(*store.Link) error) (*store.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.store.GetLink(name)
	if isNotFound(err) {
		return nil, errNoLink(name)
	}
	if err != nil {
		return nil, err
	}
	if err := f(l); err != nil {
		return nil, err
	}
	l.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateLink(l); err != nil {
		if isNotFound(err) {
			return nil, errNoLink(name)
		}
		return nil, err
	}
	s.saveErrs.Delete(name)
	return l, nil
}

// DeleteLink deletes a link with its keys, token and pending handshakes.
// It is what DELETE /api/links/{name} does.
func (s *Server) DeleteLink(ctx context.Context, name string) error {
	if !validName(name) {
		return errNoLink(name)
	}
	s.mu.Lock()
	err := s.store.DeleteLink(name)
	s.configs.Delete(name)
	s.saveErrs.Delete(name)
	s.mu.Unlock()
	if isNotFound(err) {
		return errNoLink(name)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, "link_deleted", name).Msg("link deleted")
	return nil
}

// appLinkConfig returns a link's Application Link configuration, from the
// cache or built from its key.
func (s *Server) appLinkConfig(l *store.Link) (*oauth.AppLinkConfig, error) {
	if c, ok := s.configs.Load(l.Name); ok {
		cfg := c.(*oauth.AppLinkConfig)
		if cfg.ConsumerKey == l.ConsumerKey && cfg.JiraURL == l.JiraURL {
			return cfg, nil
		}
	}
	key, err := s.store.PrivateKey(l.Name)
	if err != nil {
		return nil, err
	}
	cfg, err := s.describe(l, &key.PublicKey)
	if err == nil {
		s.configs.Store(l.Name, cfg)
	}
	return cfg, err
}

// describe builds the Application Link configuration of a link with the
// public key pub.
func (s *Server) describe(l *store.Link, pub *rsa.PublicKey) (*oauth.AppLinkConfig, error) {
	return oauth.NewAppLinkConfig(oauth.ConfigInput{JiraURL: l.JiraURL, ConsumerKey: l.ConsumerKey,
		ConsumerName: l.ConsumerName, CallbackURL: s.callbackURL, PublicKey: pub})
}

// Link returns the view of a link, as GET /api/links/{name} does: an
// *Error with CodeNotFound when there is none. `applink demo` uses it to
// register an existing link in a fresh simulated Jira.
func (s *Server) Link(name string) (*LinkView, error) {
	l, err := s.getLink(name)
	if err != nil {
		return nil, err
	}
	return s.linkView(l)
}

// linkView returns the view of a link.
func (s *Server) linkView(l *store.Link) (*LinkView, error) {
	cfg, err := s.appLinkConfig(l)
	if err != nil {
		return nil, err
	}
	return s.view(s.facts(l, cfg, nil), cfg), nil
}

// listViews returns the views of every link, sorted by name.
func (s *Server) listViews() ([]*LinkView, error) {
	links, err := s.store.ListLinks()
	if err != nil {
		return nil, err
	}
	views := make([]*LinkView, 0, len(links))
	for _, l := range links {
		cfg, err := s.appLinkConfig(l)
		if err != nil {
			return nil, err
		}
		views = append(views, s.view(s.facts(l, cfg, links), cfg))
	}
	return views, nil
}
