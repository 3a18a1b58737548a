package oauth

import "context"

// PermissionReport is what the account may do in one project.
type PermissionReport struct {
	Project string
	Have    []string // keys held, in the order asked
	Missing []string // keys not held or not known to this Jira, in the order asked
}

// OK reports whether nothing is missing.
func (r *PermissionReport) OK() bool { return len(r.Missing) == 0 }

// CheckPermissions is checkPermissions with token (what RunAudit asks), for tests.
func (c *Consumer) CheckPermissions(ctx context.Context, token Token, project string, keys []string) (*PermissionReport, error) {
	s, err := checkPermissions(ctx, c.As(token), project, keys)
	if err != nil {
		return nil, err
	}
	r := &PermissionReport{Project: project, Have: s.Granted}
	for _, g := range s.Missing {
		r.Missing = append(r.Missing, string(g.Code))
	}
	return r, nil
}

// Failures returns the table of failures, a fresh copy in the README's order.
func Failures() []Failure { return append([]Failure(nil), failures...) }

// ServerInfo is serverInfo (what Preflight asks) without Jira's answer, for tests.
func (c *Consumer) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	si, _, err := c.serverInfo(ctx)
	return si, err
}

// Test names of unexported API.
var (
	Diagnose          = diagnose
	DiagnoseTransport = diagnoseTransport
	ParseProblem      = parseProblem
	ParsePermissions  = parsePermissions
	ParseIdentity     = parseIdentity
)

// Test names of unexported paths.
const (
	AccessTokenPath       = accessTokenPath
	CreateMetaPath        = createMetaPath
	CreateMetaProjectPath = createMetaProjectPath
)
