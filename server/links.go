package server

import (
	"cmp"
	"context"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"
	"time"
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

// normalize is the one check of a link's fields, for its creation and its
// edits: it returns the link record they describe (state new, no consumer
// name default yet), or an *Error whose Errors hold every refused field at
// once, each with its Field, the first also at the top. White space around
// each field is trimmed; the Jira URL is normalised by oauth.ParseBaseURL.
func normalize(in LinkInput) (*store.Link, error) {
	l := &store.Link{
		Name:           strings.TrimSpace(in.Name),
		ServiceAccount: strings.TrimSpace(in.ServiceAccount),
		Environment:    strings.TrimSpace(in.Environment),
		ConsumerKey:    strings.TrimSpace(in.ConsumerKey),
		ConsumerName:   strings.TrimSpace(in.ConsumerName),
		CAPEM:          strings.TrimSpace(in.CAPEM),
	}
	var errs []*Error
	refuse := func(field string, e *Error) { e.Field = field; errs = append(errs, e) }
	// fromPackage words package oauth's refusal as a sentence.
	fromPackage := func(code fault.Code, err error) *Error {
		e, _ := fault.As(err)
		return &Error{Code: code, Message: upperFirst(e.Message) + ".", Hint: upperFirst(e.Hint) + ".", Err: err}
	}
	if !validName(l.Name) {
		refuse("name", &Error{Code: CodeInvalidName,
			Message: "The link name must be 1 to 64 letters, digits, '-' or '_'.",
			Hint:    "Use a short slug such as prod or sandbox."})
	}
	jiraURL := strings.TrimSpace(in.JiraURL)
	if err := checkText("Jira URL", jiraURL, 2048); err != nil {
		refuse("jira_url", &Error{Code: CodeInvalidJiraURL, Message: err.(*Error).Message})
	} else if base, err := oauth.ParseBaseURL(jiraURL); err != nil {
		refuse("jira_url", fromPackage(CodeInvalidJiraURL, err))
	} else {
		l.JiraURL = oauth.EndpointsFor(base).Base
	}
	if l.ServiceAccount == "" {
		refuse("service_account", &Error{Code: CodeInvalidInput, Message: "The service account is missing.",
			Hint: "Give the Jira account the integration must act as: its username, user key, account id or email address."})
	}
	for _, f := range []struct{ id, name, v string }{
		{"service_account", "service account", l.ServiceAccount}, {"environment", "environment", l.Environment}, {"consumer_name", "consumer name", l.ConsumerName},
	} {
		if err := checkText(f.name, f.v, maxFieldLen); err != nil {
			refuse(f.id, err.(*Error))
		}
	}
	if _, err := oauth.ParseCAs([]byte(l.CAPEM)); err != nil && l.CAPEM != "" {
		refuse("ca_pem", fromPackage(CodeInvalidInput, err))
	}
	var err error
	if l.Projects, err = oauth.ParseProjectKeys(in.Projects); err != nil {
		refuse("projects", fromPackage(CodeInvalidInput, err))
	}
	if len(l.Projects) == 0 {
		l.Projects = nil
	}
	if l.ConsumerKey == "" && validName(l.Name) {
		l.ConsumerKey = "applink-" + l.Name
	}
	if err := oauth.CheckConsumerKey(l.ConsumerKey); err != nil && l.ConsumerKey != "" {
		refuse("consumer_key", fromPackage(CodeInvalidInput, err))
	}
	if len(errs) > 0 {
		e := *errs[0]
		e.Errors = errs
		return nil, &e
	}
	return l, nil
}

// CreateLink creates a link: it checks the input, makes the key pair and
// saves both; the link starts in state "new". It is what POST /api/links
// does (and `applink demo` calls it). Errors are *Error; an existing name
// gives store.CodeExists.
func (s *Server) CreateLink(ctx context.Context, in LinkInput) (*LinkView, error) {
	l, err := normalize(in)
	if err != nil {
		return nil, err
	}
	if err := s.checkHost(ctx, l.JiraURL); err != nil {
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

// checkHost is checkJiraHost of a new Jira URL, its refusal tied to the field.
func (s *Server) checkHost(ctx context.Context, jiraURL string) error {
	err := s.checkJiraHost(ctx, jiraURL, true)
	if e, ok := err.(*Error); ok {
		e.Field = "jira_url"
	}
	return err
}

// LinkEdit is the body of PATCH /api/links/{name} and the edit form: the
// fields to change, nil for those that stay. The key pair, the name and
// the consumer key never change.
type LinkEdit struct {
	JiraURL        *string `json:"jira_url"`
	ServiceAccount *string `json:"service_account"`
	Environment    *string `json:"environment"`
	ConsumerName   *string `json:"consumer_name"`
	CAPEM          *string `json:"ca_pem"`
}

// onto returns the input of link l with the edit's fields.
func (e LinkEdit) onto(l *store.Link) LinkInput {
	return LinkInput{Name: l.Name, ConsumerKey: l.ConsumerKey, Projects: l.Projects,
		JiraURL: *cmp.Or(e.JiraURL, &l.JiraURL), ServiceAccount: *cmp.Or(e.ServiceAccount, &l.ServiceAccount),
		Environment: *cmp.Or(e.Environment, &l.Environment), ConsumerName: *cmp.Or(e.ConsumerName, &l.ConsumerName), CAPEM: *cmp.Or(e.CAPEM, &l.CAPEM)}
}

// EditLink changes a link's Jira URL, service account, environment,
// consumer name and CA, checked as on creation (every refused field at
// once; nothing changes then), keeping its key pair and consumer key. A
// new Jira URL forgets the token's last health result, the permission
// audit and the pending approvals, which belonged to the old one, and runs
// nothing; a new service
// account judges the kept token's approver again (rejudge). It is what
// PATCH /api/links/{name} does.
func (s *Server) EditLink(ctx context.Context, name string, e LinkEdit) (*LinkView, error) {
	l, _, _, err := s.load(name, false, false)
	if err != nil {
		return nil, err
	}
	n, err := normalize(e.onto(l))
	if err == nil && n.JiraURL != l.JiraURL {
		err = s.checkHost(ctx, n.JiraURL)
	}
	if err != nil {
		return nil, err
	}
	cfg, err := s.appLinkConfig(n) // the same key pair and consumer key
	if err != nil {
		return nil, err
	}
	var changed []string
	var was, judged *store.Token
	s.mu.Lock() // held to the end: putting the token back is part of the change
	defer s.mu.Unlock()
	l, err = s.editLink(name, func(l *store.Link) error {
		ids := []string{"jira_url", "service_account", "environment", "consumer_name", "ca_pem"}
		for i, f := range [][3]*string{{e.JiraURL, &l.JiraURL, &n.JiraURL}, {e.ServiceAccount, &l.ServiceAccount, &n.ServiceAccount},
			{e.Environment, &l.Environment, &n.Environment}, {e.ConsumerName, &l.ConsumerName, &cfg.ConsumerName}, {e.CAPEM, &l.CAPEM, &n.CAPEM}} {
			if f[0] != nil && *f[1] != *f[2] { // only the fields edited: a concurrent edit's others stay
				changed, *f[1] = append(changed, ids[i]), *f[2]
			}
		}
		if slices.Contains(changed, "jira_url") {
			if err := s.checkConsumerKeyFree(l); err != nil {
				return err
			}
			if isHealth(l.LastError) {
				l.LastError = nil
			}
			l.Audit, l.AuditedAt = nil, time.Time{}
		}
		if !slices.Contains(changed, "service_account") {
			return nil
		}
		l.ServiceAccountID = "" // a new service account is pinned at its first match
		var err error
		was, judged, err = s.rejudge(name, l.ServiceAccount)
		return err
	})
	if err != nil && was != nil { // the token was judged again, but the record not saved: the token goes back
		s.logger(ctx).Warn().Err(s.store.SaveToken(name, was)).Str("link", name).Msg("edit not saved; the token's verdict restored unless an error is given")
	}
	if err != nil {
		return nil, err
	}
	if slices.Contains(changed, "jira_url") { // their request tokens are the old Jira's
		if _, err := s.store.RemoveHandshakes(func(h store.Handshake) bool { return h.Link == name }); err != nil {
			s.logger(ctx).Warn().Err(err).Str("link", name).Msg("the pending approvals of the old Jira URL could not all be dropped")
		}
	}
	ev := s.audit(ctx, "link_edited", name).Strs("changed", changed)
	if was != nil {
		ev = ev.Str("approver", was.Approver.String()).Str("verdict_was", string(was.Verdict)).Str("verdict", string(judged.Verdict))
		s.notify.change(name, "verdict", string(was.Verdict), string(judged.Verdict))
	}
	ev.Msg("link edited")
	return s.linkView(l, nil)
}

// rejudge judges the approver of a link's kept token again against the
// service account sa (oauth.Judge, the one rule) and saves the token with
// its new verdict in one write. It returns the token before and after, nil
// when the link has none.
func (s *Server) rejudge(name, sa string) (was, is *store.Token, err error) {
	if was, err = s.store.Token(name); isNotFound(err) {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	t := *was
	t.Approval = oauth.Judge(was.Approver, sa, "", nil, was.ApprovedAt)
	t.IdentityError = was.IdentityError // why an unknown approver is unknown (nil when known)
	if err := s.store.SaveToken(name, &t); err != nil {
		return nil, nil, err
	}
	return was, &t, nil
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
			return &Error{Code: CodeConsumerKeyTaken, Field: "consumer_key",
				Message: fmt.Sprintf("The link %q already uses consumer key %q on %s.", o.Name, l.ConsumerKey, l.JiraURL),
				Hint:    "Give this link another consumer_key: Jira holds one public key per consumer key, so two links cannot share one."}
		}
	}
	return nil
}

// errLinkExists is the 409 for a taken name: store.CodeExists.
func errLinkExists(name string, cause error) *Error {
	return &Error{Code: store.CodeExists, Field: "name", Message: fmt.Sprintf("A link named %q exists already.", name),
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

// load reads a link once, at the edge of a request: its record (errNoLink
// when there is none; the store checks the name) and what the request
// needs besides: the consumer that calls its Jira (with consumer), the
// access token it keeps (with token; 409 not_approved without one).
func (s *Server) load(name string, consumer, token bool) (l *store.Link, c *oauth.Consumer, tok *store.Token, err error) {
	l, key, tok, err := s.store.Load(name, consumer, token)
	if isNotFound(err) || fault.Is(err, store.CodeInvalid) {
		return nil, nil, nil, errNoLink(name)
	}
	if err == nil && token && tok == nil {
		err = &Error{Code: CodeNotApproved, Message: "Link " + name + " has no access token yet.",
			Hint: "Click " + oauth.StartApproval + " and have the service account approve it in Jira first."}
	}
	if err == nil && consumer {
		c, err = s.consumer(l, key)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return l, c, tok, nil
}

// updateLink reads, changes with f and saves a link (store.EditLink) under
// the server's lock, which every change of a link's record or token takes;
// f may save the token too; an error from f saves nothing. It reads the
// record again, not load's: a request calls Jira between, without the lock.
func (s *Server) updateLink(name string, f func(*store.Link) error) (*store.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.editLink(name, f)
}

// editLink is updateLink with s.mu held.
func (s *Server) editLink(name string, f func(*store.Link) error) (*store.Link, error) {
	l, err := s.store.EditLink(name, func(l *store.Link) error {
		l.UpdatedAt = s.now().UTC()
		return f(l)
	})
	if isNotFound(err) {
		return nil, errNoLink(name)
	}
	if err != nil {
		return nil, err
	}
	s.saveErrs.Delete(name)
	return l, nil
}

// DeleteLink deletes a link with its keys, token and pending handshakes.
// It is what DELETE /api/links/{name} does.
func (s *Server) DeleteLink(ctx context.Context, name string) error {
	s.mu.Lock()
	err := s.store.DeleteLink(name)
	s.configs.Delete(name)
	s.saveErrs.Delete(name)
	s.mu.Unlock()
	if isNotFound(err) || fault.Is(err, store.CodeInvalid) {
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
		if cfg.ConsumerKey == l.ConsumerKey && cfg.JiraURL == l.JiraURL && cfg.ConsumerName == l.ConsumerName {
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

// viewConfig is appLinkConfig for a view: a link whose key pair cannot be
// read or used (store.CodeCorrupt, a file that does not decrypt) is shown
// failed, with that error as its last one and what its record says, so
// that its page (and Delete) still works.
func (s *Server) viewConfig(l *store.Link) (*oauth.AppLinkConfig, error) {
	cfg, err := s.appLinkConfig(l)
	if e, ok := fault.As(err); ok && e.Code != store.CodeIO {
		if l.LastError == nil || l.LastError.Code != store.CodeCorrupt {
			l.LastError = e // a damaged record's error says more
		}
		return &oauth.AppLinkConfig{JiraURL: l.JiraURL, ConsumerKey: l.ConsumerKey, ConsumerName: l.ConsumerName}, nil
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
// *Error with CodeLinkNotFound when there is none. `applink demo` uses it to
// register an existing link in a fresh simulated Jira.
func (s *Server) Link(name string) (*LinkView, error) {
	l, _, _, err := s.load(name, false, false)
	if err != nil {
		return nil, err
	}
	return s.linkView(l, nil)
}

// linkView returns the view of a link, compared with the links all (nil:
// the store's; see facts).
func (s *Server) linkView(l *store.Link, all []*store.Link) (*LinkView, error) {
	cfg, err := s.viewConfig(l)
	if err != nil {
		return nil, err
	}
	return s.view(s.facts(l, cfg, all), cfg), nil
}

// listViews returns the views of every link, sorted by name.
func (s *Server) listViews() ([]*LinkView, error) {
	links, err := s.store.ListLinks()
	views := make([]*LinkView, 0, len(links))
	for _, l := range links {
		v, err := s.linkView(l, links)
		if err != nil {
			return nil, err
		}
		views = append(views, v)
	}
	return views, err
}
