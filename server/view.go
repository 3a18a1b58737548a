package server

import (
	"slices"
	"strings"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// LinkView is a link as the JSON API and the pages show it: a function of
// the link's record, its token (with the token's approval), its pending
// approval and the clock. Every key is always present: null when there is
// nothing to say, lists empty.
type LinkView struct {
	Name           string `json:"name"`
	JiraURL        string `json:"jira_url"`
	ServiceAccount string `json:"service_account"`
	Environment    string `json:"environment"`
	// CAPEM is the link's private CA certificates (PEM), "" for none.
	CAPEM string `json:"ca_pem"`
	// State is one of "new", "awaiting_approval", "authorized", "denied",
	// "failed". A link that keeps a token stays "authorized" when a later
	// handshake fails, is denied or expires (last_error and an info notice
	// say so); it is "awaiting_approval" while a handshake is pending, for
	// at most the 10 minutes of a request token.
	State string `json:"state"`
	// AppLink is what a Jira admin enters in the Application Link.
	AppLink *oauth.AppLinkConfig `json:"applink"`
	// AuthorizedAs, Verdict, ServiceAccountMatch, AuthorizedAt and
	// TokenExpiresAt describe the access token applink keeps for the link
	// (the one the credentials export gives), null while there is none.
	AuthorizedAs *oauth.Identity `json:"authorized_as"`
	Verdict      *oauth.Verdict  `json:"verdict"`
	// ServiceAccountMatch is Verdict == "match", or null when the verdict
	// is neither match nor mismatch.
	ServiceAccountMatch *bool      `json:"service_account_match"`
	AuthorizedAt        *time.Time `json:"authorized_at"`
	TokenExpiresAt      *time.Time `json:"token_expires_at"`
	// Notices are what people must know, most severe first.
	Notices []oauth.Notice `json:"notices"`
	// Warnings are the messages of the notices of severity warning or
	// danger, kept for clients of the first API.
	Warnings []string `json:"warnings"`
	// LastError is the failure of the latest handshake (or of saving its
	// outcome, or of the latest token health check), null after a success.
	LastError *Error `json:"last_error"`
	// Projects are the Jira projects the integration works in; Permissions
	// is their latest permission audit, null before the first.
	Projects    []string         `json:"projects"`
	Permissions *PermissionsView `json:"permissions"`
}

// A link's states (LinkView.State), derived by derivedState.
const (
	stateNew              = "new"
	stateAwaitingApproval = "awaiting_approval"
	stateAuthorized       = "authorized"
	stateDenied           = "denied"
	stateFailed           = "failed"
)

// A later attempt's notice takes the code of the link's last_error; a
// kept token past its expiry, oauth.CodeTokenExpired (danger).
const (
	CodeApprovalPending oauth.Code = "approval_pending" // info: a new approval is pending while a token is kept
	// CodeVerifiedTokenKept (danger): another account approved later; the
	// service account's token was kept and the new one not used.
	CodeVerifiedTokenKept oauth.Code = "verified_token_kept"
)

// verifiedKeptNotice is the notice of a link that kept its service
// account's token over r, a later approval by another account.
func verifiedKeptNotice(r *oauth.Approval, serviceAccount string) oauth.Notice {
	return oauth.Notice{Code: CodeVerifiedTokenKept, Severity: oauth.SeverityDanger,
		Message: "On " + r.ApprovedAt.UTC().Format(timeLayout) + ", " + r.Approver.String() + " approved this link again, but is not " +
			map[bool]string{true: "", false: "confirmed to be "}[r.Verdict == oauth.VerdictMismatch] + "the service account " + serviceAccount +
			": applink kept the service account's token and does not use the new one.",
		Hint: "Have " + r.Approver.String() + " revoke the token they approved, logged in to Jira as that account (" + oauth.WhereToRevoke +
			"). This notice stays until the service account approves again (" + oauth.StartApproval + ") or the link is deleted."}
}

// linkFacts is what a view is made of.
type linkFacts struct {
	link    *store.Link
	token   *store.Token     // nil when the link has none
	pending *store.Handshake // the live pending approval, or nil
	saveErr *Error           // a write of the latest callback that failed, or nil
	peers   []peer           // the other links, for the notices across links
	keyFP   string           // the link's public key fingerprint
}

// peer is what the notices across links compare of another link.
type peer struct {
	name, environment, serviceAccount, keyFP string
}

// peers returns every link of all but l, with its key's fingerprint (""
// when it cannot be read); all nil means every link of the store.
func (s *Server) peers(l *store.Link, all []*store.Link) []peer {
	if all == nil {
		all, _ = s.store.ListLinks() // none when they cannot be read
	}
	var out []peer
	for _, o := range all {
		if o.Name == l.Name {
			continue
		}
		p := peer{name: o.Name, environment: o.Environment, serviceAccount: o.ServiceAccount}
		if o.LastError == nil || o.LastError.Code != store.CodeCorrupt {
			if cfg, err := s.appLinkConfig(o); err == nil {
				p.keyFP = cfg.PublicKeyFingerprint
			}
		}
		out = append(out, p)
	}
	return out
}

// facts reads what a link's view is made of, with its configuration cfg
// and the links it is compared with (all; nil: the store's, read here, so
// that a listing reads them once, not once per link). A token that cannot
// be read is reported as the link's last error, never hidden.
func (s *Server) facts(l *store.Link, cfg *oauth.AppLinkConfig, all []*store.Link) linkFacts {
	f := linkFacts{link: l, pending: s.pending(l.Name), peers: s.peers(l, all), keyFP: cfg.PublicKeyFingerprint}
	if e, ok := s.saveErrs.Load(l.Name); ok {
		f.saveErr = e.(*Error)
	}
	tok, err := s.store.Token(l.Name)
	switch {
	case err == nil:
		f.token = tok
	case !isNotFound(err):
		f.saveErr = asError(err)
	}
	return f
}

// view builds a LinkView from a link's facts and its configuration.
func (s *Server) view(f linkFacts, cfg *oauth.AppLinkConfig) *LinkView {
	l := f.link
	v := &LinkView{
		Name:           l.Name,
		JiraURL:        l.JiraURL,
		ServiceAccount: l.ServiceAccount,
		Environment:    l.Environment,
		CAPEM:          l.CAPEM,
		AppLink:        cfg,
		Warnings:       []string{},
		Projects:       append([]string{}, l.Projects...),
		Permissions:    permissionsView(l, f.token),
	}
	v.State, v.LastError = s.derivedState(f)
	if t := f.token; t != nil {
		verdict := t.Verdict
		v.Verdict, v.AuthorizedAs = &verdict, t.Approver
		if verdict == oauth.VerdictMatch || verdict == oauth.VerdictMismatch {
			match := verdict == oauth.VerdictMatch
			v.ServiceAccountMatch = &match
		}
		v.AuthorizedAt, v.TokenExpiresAt = utcPtr(&t.ApprovedAt), utcPtr(&t.ExpiresAt)
	}
	v.Notices = s.notices(f, v.LastError)
	for _, n := range v.Notices {
		if n.Severity != oauth.SeverityInfo {
			v.Warnings = append(v.Warnings, n.Message)
		}
	}
	return v
}

// derivedState is a link's state and last error, from its facts: the
// record's last error, unless the kept token (or the approval refused
// beside it) is newer than the record (the callback's write of the record
// failed), or it is errNobodyApproved while an approval is pending; a
// failed save of the latest callback is the last error. Then the state:
// awaiting_approval while an approval is pending, authorized while a token
// is kept, denied or failed after a last error, new before anything.
func (s *Server) derivedState(f linkFacts) (string, *Error) {
	l, t, lastErr := f.link, f.token, f.link.LastError
	if t != nil && (t.ApprovedAt.After(l.UpdatedAt) || t.Refused != nil && t.Refused.ApprovedAt.After(l.UpdatedAt)) ||
		f.pending != nil && lastErr != nil && lastErr.Code == oauth.CodeRequestExpired {
		lastErr = nil
	}
	if f.saveErr != nil {
		lastErr = f.saveErr
	}
	switch {
	case f.pending != nil:
		return stateAwaitingApproval, lastErr
	case t != nil:
		return stateAuthorized, lastErr
	case lastErr != nil && lastErr.Code == oauth.CodeDenied:
		return stateDenied, lastErr
	case lastErr != nil:
		return stateFailed, lastErr
	}
	return stateNew, nil
}

// notices are what people must know about a link, most severe first (in
// one severity, in this order): another account's approval not kept, the
// approval's notice (wrong account, not confirmed), an expired token or one
// expiring within ExpiryWarning, the last error, an approval pending beside
// a kept token, what the link shares with others (a service account across
// environments, a key pair). The
// last error is info on a link that keeps a token (it still works and its
// verdict stands), else danger, as is a token the health check found not
// working or acting as another account.
func (s *Server) notices(f linkFacts, lastErr *Error) []oauth.Notice {
	out := []oauth.Notice{}
	if t := f.token; t != nil {
		if t.Refused != nil {
			out = append(out, verifiedKeptNotice(t.Refused, f.link.ServiceAccount))
		}
		if n := t.Notice(); n != nil {
			out = append(out, *n)
		}
		if !t.ExpiresAt.IsZero() && !s.now().Before(t.ExpiresAt) {
			out = append(out, oauth.Notice{Code: oauth.CodeTokenExpired, Severity: oauth.SeverityDanger,
				Message: "The access token expired on " + t.ExpiresAt.UTC().Format(timeLayout) + ".",
				Hint:    "Click " + oauth.StartApproval + " and have the service account approve it, to get a new one."})
		} else if !t.ExpiresAt.IsZero() && t.ExpiresAt.Sub(s.now()) < ExpiryWarning {
			out = append(out, oauth.Notice{Code: CodeTokenExpiring, Severity: oauth.SeverityWarning,
				Message: "The access token expires on " + t.ExpiresAt.UTC().Format(timeLayout) + ", in less than 30 days.",
				Hint:    "Click " + oauth.StartApproval + " and have the service account approve it before then, and give the integration the new token."})
		}
	}
	if lastErr != nil {
		n := oauth.Notice{Code: lastErr.Code, Severity: oauth.SeverityDanger, Message: lastErr.Message, Hint: lastErr.Hint}
		if f.token != nil && !isHealth(lastErr) {
			n.Severity = oauth.SeverityInfo
			n.Message = "A later approval did not replace the token approved earlier: " + lastErr.Message
		}
		out = append(out, n)
	}
	if f.pending != nil && f.token != nil {
		out = append(out, oauth.Notice{Code: CodeApprovalPending, Severity: oauth.SeverityInfo,
			Message: "A new approval is pending until " + f.pending.ExpiresAt.UTC().Format(timeLayout) + ".",
			Hint:    "The token approved earlier stays until the service account completes the new approval."})
	}
	out = append(out, sharedNotices(f)...)
	rank := map[oauth.Severity]int{oauth.SeverityDanger: 0, oauth.SeverityWarning: 1, oauth.SeverityInfo: 2}
	slices.SortStableFunc(out, func(a, b oauth.Notice) int { return rank[a.Severity] - rank[b.Severity] })
	return out
}

// sharedNotices are the warnings about what a link shares with others:
// its service account with a link of another environment (production and
// sandbox should each have their own, so that a sandbox cannot act in
// production as the same user), and its key pair (one leaked key would
// open both).
func sharedNotices(f linkFacts) []oauth.Notice {
	l, out := f.link, []oauth.Notice{}
	for _, p := range f.peers {
		if p.environment != "" && l.Environment != "" && !strings.EqualFold(p.environment, l.Environment) &&
			oauth.SameName(strings.TrimSpace(p.serviceAccount), strings.TrimSpace(l.ServiceAccount)) {
			out = append(out, oauth.Notice{Code: CodeServiceAccountShared, Severity: oauth.SeverityWarning,
				Message: "The service account " + l.ServiceAccount + " is also the service account of link " + p.name + " (" + p.environment + "), in another environment than this one (" + l.Environment + ").",
				Hint:    "Give each environment its own service account, as Atlassian recommends, so that a sandbox never acts in production as the same user."})
		}
		if p.keyFP != "" && p.keyFP == f.keyFP {
			out = append(out, oauth.Notice{Code: CodeKeyPairShared, Severity: oauth.SeverityWarning,
				Message: "Link " + p.name + " uses the same key pair (public key " + f.keyFP + ").",
				Hint:    "Give each link its own key pair: delete one of the links and create it again, so that it gets new keys, then update its Application Link in Jira."})
		}
	}
	return out
}

// Badge is the one label a link shows for its state and verdict, on the
// dashboard and its page. Severity is "success" (only when the token acts
// as the service account), "info", "warning", "danger" or "neutral".
type Badge struct {
	Label    string
	Severity string
}

// Badge derives the link's badge: from the verdict while it keeps a
// token, from its state before.
func (v *LinkView) Badge() Badge {
	if v.Verdict != nil && isHealth(v.LastError) {
		return Badge{"Token not working", "danger"}
	}
	if v.Verdict != nil {
		switch *v.Verdict {
		case oauth.VerdictMatch:
			return Badge{"Authorized", "success"}
		case oauth.VerdictMismatch:
			return Badge{"Wrong account", "danger"}
		}
		return Badge{"Approver not confirmed", "warning"}
	}
	switch v.State {
	case stateAwaitingApproval:
		return Badge{"Awaiting approval", "info"}
	case stateDenied:
		return Badge{"Denied", "danger"}
	case stateFailed:
		return Badge{"Failed", "danger"}
	}
	return Badge{"Not approved yet", "neutral"}
}

// timeLayout is how times are shown to people.
const timeLayout = "2006-01-02 15:04 MST"

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
