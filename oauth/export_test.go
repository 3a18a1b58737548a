package oauth

import "context"

// CheckPermissions is checkPermissions with token (what RunAudit asks), for tests.
func (c *Consumer) CheckPermissions(ctx context.Context, token Token, project string, keys []string) (*PermissionReport, error) {
	return checkPermissions(ctx, c.As(token), project, keys)
}

// Failures returns the table of failures, a fresh copy in the README's order.
func Failures() []Failure { return append([]Failure(nil), failures...) }

// ServerInfo is serverInfo (what Preflight asks) without Jira's answer, for tests.
func (c *Consumer) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	si, _, err := c.serverInfo(ctx)
	return si, err
}
