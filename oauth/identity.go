package oauth

import (
	"context"
	"encoding/json"
	"strings"
)

// Identity is who an access token acts as, from /rest/api/2/myself. Server
// and Data Center fill Name, Key and usually Email; Cloud fills AccountID and
// AccountType and may hide Email.
type Identity struct {
	Name        string `json:"name,omitempty"`
	Key         string `json:"key,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	AccountType string `json:"account_type,omitempty"`
	Active      *bool  `json:"active,omitempty"`
}

// ParseIdentity reads a /rest/api/2/myself body in either shape. It fails
// with CodeBadResponse when the body is not JSON or names nobody (no name,
// key or account id).
func ParseIdentity(body []byte) (*Identity, error) {
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

// Matches reports whether the designated service account, written as a
// username, user key, account id or email address, is this identity.
// Account ids and user keys match exactly; usernames and emails match
// without regard to case. Surrounding white space is ignored; an empty
// service account matches nobody.
func (id *Identity) Matches(serviceAccount string) bool {
	sa := strings.TrimSpace(serviceAccount)
	if id == nil || sa == "" {
		return false
	}
	return sa == id.AccountID || sa == id.Key ||
		strings.EqualFold(sa, id.Name) || strings.EqualFold(sa, id.Email)
}

// String names the identity for people: "Display Name (name)" on Server,
// "Display Name (account id)" on Cloud.
// Jira's text goes through oneLine, so a display name cannot move a
// terminal's cursor. A nil or empty identity is "an unknown account".
func (id *Identity) String() string {
	if id == nil {
		return "an unknown account"
	}
	handle := id.Name
	for _, h := range []string{id.AccountID, id.Key, id.Email} {
		if handle == "" {
			handle = h
		}
	}
	name, handle := short(id.DisplayName, 80), short(handle, 80)
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
	body, err := c.Get(ctx, token, MyselfPath, "myself")
	if err != nil {
		return nil, err
	}
	id, err := ParseIdentity(body)
	if err != nil {
		return nil, withStep(err, "myself", c.Endpoints.Base+MyselfPath)
	}
	return id, nil
}
