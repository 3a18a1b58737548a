package oauth

import "context"

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
	panic("not implemented")
}

// Matches reports whether the designated service account, written as a
// username, user key, account id or email address, is this identity.
// Account ids and user keys match exactly; usernames and emails match
// without regard to case. Surrounding white space is ignored; an empty
// service account matches nobody.
func (id *Identity) Matches(serviceAccount string) bool {
	panic("not implemented")
}

// String names the identity for people: "Display Name (name)" on Server,
// "Display Name (account id)" on Cloud.
func (id *Identity) String() string {
	panic("not implemented")
}

// Myself asks Jira who token acts as.
func (c *Consumer) Myself(ctx context.Context, token Token) (*Identity, error) {
	panic("not implemented")
}
