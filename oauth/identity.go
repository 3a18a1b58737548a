package oauth

import (
	"cmp"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Identity is who an access token acts as, from /rest/api/2/myself. Server
// and Data Center fill Name, Key and usually Email; Cloud fills AccountID and
// AccountType and may hide Email.
//
// It is applink's one shape of "who": the CLI's token file, the store, the
// JSON API and the pages all use it, and its JSON keys name, key,
// account_id, email and display_name are always present.
type Identity struct {
	Name        string `json:"name"`
	Key         string `json:"key"`
	AccountID   string `json:"account_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	AccountType string `json:"account_type,omitempty"`
	Active      *bool  `json:"active,omitempty"`
}

// parseIdentity reads a /rest/api/2/myself body in either shape. It fails
// with CodeBadResponse when the body is not JSON or names nobody (no name,
// key or account id).
func parseIdentity(body []byte) (*Identity, error) {
	var raw struct {
		Name         string `json:"name"`
		Key          string `json:"key"`
		AccountID    string `json:"accountId"`
		EmailAddress string `json:"emailAddress"`
		DisplayName  string `json:"displayName"`
		AccountType  string `json:"accountType"`
		Active       *bool  `json:"active"`
	}
	bad := func(msg string, err error) (*Identity, error) {
		return nil, &Error{Code: CodeBadResponse, Step: "myself", Message: msg,
			Hint: "check that the Jira URL is Jira's base URL and that the token is valid", Err: err}
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return bad("Jira's answer to myself is not a JSON user", err)
	}
	id := &Identity{
		Name: raw.Name, Key: raw.Key, AccountID: raw.AccountID, Email: raw.EmailAddress,
		DisplayName: raw.DisplayName, AccountType: raw.AccountType, Active: raw.Active,
	}
	if id.Name == "" && id.Key == "" && id.AccountID == "" {
		return bad("Jira's answer to myself names nobody (no name, key or accountId)", nil)
	}
	return id, nil
}

// SameName is applink's one rule for usernames (and email addresses),
// Jira's: equal after lower-casing (Java's toLowerCase), never Unicode case
// folding, so "ſvc-jira" (U+017F) is not "svc-jira". Characters must
// lower-case alike, an ASCII one only ever matches an ASCII one (the Kelvin
// sign U+212A is not "k"), and sigmas match only as written (Java's final
// ς): "SVC-Jira" is "svc-jira", "Müller" is "müller"; it errs only towards
// no match. Empty names match nothing.
func SameName(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) || a == "" {
		return false
	}
	for i, x := range ra {
		y, lx := rb[i], unicode.ToLower(x)
		if x != y && (lx != unicode.ToLower(y) || (x < utf8.RuneSelf) != (y < utf8.RuneSelf) || lx == 'σ') {
			return false
		}
	}
	return true
}

// ImmutableID is the id Jira never changes for the account: the account id
// on Cloud, the user key on Server/Data Center (which keeps it across
// renames); "" for a nil identity or one that shows neither.
func (id *Identity) ImmutableID() string {
	if id == nil {
		return ""
	}
	return cmp.Or(id.AccountID, id.Key)
}

// Compare tells whether the designated service account (a username, user
// key, account id or email address; surrounding space ignored) is this
// identity. Account ids and user keys match exactly, usernames by SameName,
// an email by SameName only next to an account id (Cloud, where an email is
// one account's; on Server/Data Center emails are not unique, so it is
// VerdictUnverifiable). Otherwise the service account's form (an email has
// "@"; an account id, see looksLikeAccountID; else a username or key) picks
// the field: VerdictUnverifiable when Jira's answer lacks it, else
// VerdictMismatch. An empty service account is VerdictMismatch; a nil
// identity (Jira did not say who approved) VerdictUnknown.
func (id *Identity) Compare(serviceAccount string) Verdict {
	sa := strings.TrimSpace(serviceAccount)
	switch {
	case sa == "":
		return VerdictMismatch
	case id == nil:
		return VerdictUnknown
	case sa == id.AccountID || sa == id.Key:
		return VerdictMatch
	}
	var shown, same bool
	switch designation(sa) {
	case byEmail:
		e := SameName(sa, id.Email)
		same, shown = e && id.AccountID != "", id.Email != "" && !e
	case byAccountID:
		shown = id.AccountID != ""
	default:
		shown, same = id.Name != "" || id.Key != "", SameName(sa, id.Name)
	}
	switch {
	case same:
		return VerdictMatch
	case shown:
		return VerdictMismatch
	}
	return VerdictUnverifiable
}

// designationKind is the form a service account is written in.
type designationKind int

const (
	byUsername  designationKind = iota // a username or user key (Server/DC)
	byEmail                            // an email address
	byAccountID                        // a Cloud account id
)

// designation tells which form the trimmed service account sa is in.
func designation(sa string) designationKind {
	switch {
	case strings.Contains(sa, "@"):
		return byEmail
	case looksLikeAccountID(sa):
		return byAccountID
	}
	return byUsername
}

// accountID is the shape of a Jira Cloud account id: 24 or more
// hexadecimal digits (5b10ac8d82e05b22cc7d4ef5), or digits, a colon and a
// UUID in its 8-4-4-4-12 form (557058:f0e1d2c3-b4a5-4697-8899-aabbccddeeff).
var accountID = regexp.MustCompile(`^(?:[0-9a-fA-F]{24,}|[0-9]+:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$`)

// looksLikeAccountID reports whether s has the shape of a Jira Cloud
// account id (accountID).
func looksLikeAccountID(s string) bool { return accountID.MatchString(s) }

// String names the identity for people: "Display Name (name)" on Server,
// "Display Name (account id)" on Cloud.
// Jira's text goes through fault.OneLine, so a display name cannot move a
// terminal's cursor. A nil or empty identity is "an unknown account".
func (id *Identity) String() string {
	if id == nil {
		return "an unknown account"
	}
	name, handle := short(id.DisplayName, 80), short(cmp.Or(id.Name, id.AccountID, id.Key, id.Email), 80)
	switch {
	case name == "" && handle == "":
		return "an unknown account"
	case name == "" || name == handle:
		return handle
	case handle == "":
		return name
	}
	return name + " (" + handle + ")"
}

// Myself asks Jira who token acts as.
func (c *Consumer) Myself(ctx context.Context, token Token) (*Identity, error) {
	return Whoami(ctx, c.As(token))
}

// SameAccount reports whether id and other name the same Jira account:
// the same ImmutableID when both have one, else the same username
// (SameName). A nil identity is nobody's.
func (id *Identity) SameAccount(other *Identity) bool {
	a, b := id.ImmutableID(), other.ImmutableID()
	if a != "" && b != "" {
		return a == b
	}
	return id != nil && other != nil && SameName(id.Name, other.Name)
}
