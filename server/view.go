package server

import (
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// LinkView is a link as the JSON API shows it. Every key is always
// present: null when there is nothing to say, warnings an empty list.
type LinkView struct {
	Name           string `json:"name"`
	JiraURL        string `json:"jira_url"`
	ServiceAccount string `json:"service_account"`
	Environment    string `json:"environment"`
	// State is one of "new", "awaiting_approval", "authorized", "denied",
	// "failed". A link that keeps a token stays "authorized" when a later
	// handshake fails, is denied or expires (last_error says so); it is
	// "awaiting_approval" while a handshake is pending, for at most the 10
	// minutes of a request token.
	State   string      `json:"state"`
	AppLink AppLinkView `json:"applink"`
	// AuthorizedAs, ServiceAccountMatch, AuthorizedAt and TokenExpiresAt
	// describe the access token applink keeps for the link (the one the
	// credentials export gives), null while there is none.
	AuthorizedAs        *IdentityView `json:"authorized_as"`
	ServiceAccountMatch *bool         `json:"service_account_match"`
	AuthorizedAt        *time.Time    `json:"authorized_at"`
	TokenExpiresAt      *time.Time    `json:"token_expires_at"`
	// Warnings are for people: the approver mismatch, an expired token.
	Warnings []string `json:"warnings"`
	// LastError is the failure of the latest handshake, null after a
	// success.
	LastError *ErrorView `json:"last_error"`
}

// AppLinkView is what a Jira admin types into the Application Link's
// incoming authentication (and the URLs the newer Data Center form asks
// for).
type AppLinkView struct {
	ConsumerKey          string `json:"consumer_key"`
	ConsumerName         string `json:"consumer_name"`
	PublicKey            string `json:"public_key"` // PEM, "BEGIN PUBLIC KEY"
	PublicKeyFingerprint string `json:"public_key_fingerprint"`
	CallbackURL          string `json:"callback_url"`
	RequestTokenURL      string `json:"request_token_url"`
	AccessTokenURL       string `json:"access_token_url"`
	AuthorizeURL         string `json:"authorize_url"`
}

// IdentityView is who approved a token, as /rest/api/2/myself said. Server
// and Data Center fill name and key, Cloud the account id; email may be
// empty.
type IdentityView struct {
	Name        string `json:"name"`
	Key         string `json:"key"`
	AccountID   string `json:"account_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
}

// ErrorView is a failure in a link: code, message and hint.
type ErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// view builds a LinkView from a record and its configuration.
func (s *Server) view(l *store.Link, cfg *oauth.AppLinkConfig) *LinkView {
	v := &LinkView{
		Name:           l.Name,
		JiraURL:        l.JiraURL,
		ServiceAccount: l.ServiceAccount,
		Environment:    l.Environment,
		State:          l.State,
		AppLink: AppLinkView{
			ConsumerKey:          cfg.ConsumerKey,
			ConsumerName:         cfg.ConsumerName,
			PublicKey:            cfg.PublicKey,
			PublicKeyFingerprint: cfg.PublicKeyFingerprint,
			CallbackURL:          s.callbackURL,
			RequestTokenURL:      cfg.RequestTokenURL,
			AccessTokenURL:       cfg.AccessTokenURL,
			AuthorizeURL:         cfg.AuthorizeURL,
		},
		ServiceAccountMatch: copyPtr(l.ServiceAccountMatch),
		AuthorizedAt:        utcPtr(l.AuthorizedAt),
		TokenExpiresAt:      utcPtr(l.TokenExpiresAt),
		Warnings:            append([]string{}, l.Warnings...),
	}
	if id := l.AuthorizedAs; id != nil {
		v.AuthorizedAs = &IdentityView{Name: id.Name, Key: id.Key, AccountID: id.AccountID, Email: id.Email, DisplayName: id.DisplayName}
	}
	if e := l.LastError; e != nil {
		v.LastError = &ErrorView{Code: e.Code, Message: e.Message, Hint: e.Hint}
	}
	// A handshake nobody completed ends when its request token expires,
	// whether or not anyone opens applink then: the state is derived here.
	if l.State == store.StateAwaitingApproval && !s.now().Before(l.UpdatedAt.Add(oauth.RequestTokenLifetime)) {
		v.State = stateAfterFailure(l, store.StateFailed)
		v.LastError = &ErrorView{Code: string(oauth.CodeRequestExpired),
			Message: "Nobody approved within 10 minutes, so the approval request expired.",
			Hint:    "Start a new approval and have " + l.ServiceAccount + " click Allow in Jira within 10 minutes."}
	}
	if t := l.TokenExpiresAt; t != nil && !s.now().Before(*t) {
		v.Warnings = append(v.Warnings, "The access token expired on "+t.UTC().Format(timeLayout)+
			". Start a new approval (as the service account) to get a new one.")
	}
	return v
}

// timeLayout is how times are shown to people.
const timeLayout = "2006-01-02 15:04 MST"

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// identityName names an approver for people and logs.
func identityName(id *oauth.Identity) string {
	if id == nil {
		return ""
	}
	return id.String()
}
