package oauth

import "context"

// SyncPermissions are the project permission keys an issue-sync
// integration such as Jira Align's connector needs on every integrated
// project.
var SyncPermissions = []string{
	"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "TRANSITION_ISSUES",
	"ASSIGN_ISSUES", "ASSIGNABLE_USER", "LINK_ISSUES", "MODIFY_REPORTER",
	"SCHEDULE_ISSUES", "MANAGE_SPRINTS_PERMISSION", "ADD_COMMENTS",
}

// GlobalSyncPermissions are the global permissions the same integration
// needs.
var GlobalSyncPermissions = []string{"USER_PICKER"}

// Permission is one entry of a /rest/api/2/mypermissions answer.
type Permission struct {
	Key            string `json:"key"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	HavePermission bool   `json:"havePermission"`
}

// PermissionReport is what the account may do in one project.
type PermissionReport struct {
	Project string
	Have    []string // keys held, in the order asked
	Missing []string // keys not held or not known to this Jira, in the order asked
}

// OK reports whether nothing is missing.
func (r *PermissionReport) OK() bool { return len(r.Missing) == 0 }

// ParsePermissions reads a /rest/api/2/mypermissions body.
func ParsePermissions(body []byte) (map[string]Permission, error) {
	panic("not implemented")
}

// CheckPermissions asks Jira which of keys token's account holds in
// project (an empty project checks global permissions).
func (c *Consumer) CheckPermissions(ctx context.Context, token Token, project string, keys []string) (*PermissionReport, error) {
	panic("not implemented")
}

// ServerInfo is the part of /rest/api/2/serverInfo applink uses.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	DeploymentType string `json:"deploymentType"` // "Server", "DataCenter" or "Cloud"
	ServerTime     string `json:"serverTime"`
}

// ServerInfo asks Jira what it is, without signing (it is anonymous on
// Server/DC). Useful to check a base URL and the clock before the handshake.
func (c *Consumer) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	panic("not implemented")
}
