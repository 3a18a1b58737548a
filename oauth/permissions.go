package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

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

// ParsePermissions reads a /rest/api/2/mypermissions body.
// A permission whose entry lacks "key" takes the key it is listed under.
// It fails with CodeBadResponse when the body is not JSON or holds no
// "permissions" object.
func ParsePermissions(body []byte) (map[string]Permission, error) {
	var raw struct {
		Permissions map[string]Permission `json:"permissions"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Permissions == nil {
		return nil, &Error{Code: CodeBadResponse, Step: "mypermissions",
			Message: "Jira's answer to mypermissions is not a permissions object",
			Hint:    "check that the Jira URL is Jira's base URL", Err: err}
	}
	for k, p := range raw.Permissions {
		if p.Key == "" {
			p.Key = k
			raw.Permissions[k] = p
		}
	}
	return raw.Permissions, nil
}

// checkPermissions asks Jira which of keys cl's account holds in project
// (an empty project checks global permissions): the keys granted and the
// gaps, in the order asked.
//
// It sends GET mypermissions?projectKey=P&permissions=K1,K2 (permissions=
// is always sent: Cloud requires it). Repeated and blank keys are asked
// once; a key missing from Jira's answer counts as missing.
func checkPermissions(ctx context.Context, cl Caller, project string, keys []string) (*AuditScope, error) {
	const step = "mypermissions"
	project = strings.TrimSpace(project)
	var asked []string
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(asked, k) {
			asked = append(asked, k)
		}
	}
	if len(asked) == 0 {
		return nil, &Error{Code: CodeBadInput, Step: step, URL: cl.BaseURL() + MyPermissionsPath,
			Message: "no permission keys to check", Hint: "name at least one permission, such as BROWSE_PROJECTS"}
	}
	escaped := make([]string, len(asked))
	for i, k := range asked {
		escaped[i] = url.QueryEscape(k)
	}
	path := MyPermissionsPath + "?"
	if project != "" {
		path += "projectKey=" + url.QueryEscape(project) + "&"
	}
	path += "permissions=" + strings.Join(escaped, ",")
	body, err := cl.Get(ctx, path, step)
	var e *Error
	if err != nil && project != "" && errors.As(err, &e) && e.Code == CodeNotFound {
		// Jira answers 404 for a project that does not exist or that the
		// token's account cannot see: that is the likely cause here, not a
		// wrong base URL (the handshake already reached Jira).
		e2 := *e
		e2.Message = fmt.Sprintf("Jira knows no project %q, or the approving account cannot see it", project)
		e2.Hint = "check the project key (as in issue keys, e.g. ABC for ABC-123), and give the service account Browse Projects on it"
		return nil, &e2
	}
	if err != nil {
		return nil, err
	}
	perms, err := ParsePermissions(body)
	if err != nil {
		return nil, withStep(err, step, cl.BaseURL()+MyPermissionsPath)
	}
	s := &AuditScope{Missing: []Gap{}, Granted: []string{}}
	for _, k := range asked {
		if p, ok := perms[k]; ok && p.HavePermission {
			s.Granted = append(s.Granted, k)
		} else {
			s.Missing = append(s.Missing, permissionGap(k, project))
		}
	}
	return s, nil
}

// ServerInfo is the part of /rest/api/2/serverInfo applink uses.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	DeploymentType string `json:"deploymentType"` // "Server", "DataCenter" or "Cloud"
	ServerTime     string `json:"serverTime"`
}

// serverInfo asks Jira what it is, without signing (it is anonymous on
// Server/DC), and returns Jira's answer too, whose Date header tells Jira's clock.
func (c *Consumer) serverInfo(ctx context.Context) (*ServerInfo, *http.Response, error) {
	const step = "serverinfo"
	u := c.Endpoints.Base + ServerInfoPath
	body, resp, err := c.call(ctx, callSpec{step: step, method: "GET", url: u, limit: maxRESTBody})
	if err != nil {
		return nil, resp, err
	}
	var si ServerInfo
	if err := json.Unmarshal(body, &si); err != nil {
		return nil, resp, &Error{Code: CodeBadResponse, Step: step, URL: u,
			Message: fmt.Sprintf("Jira's answer at %s is not JSON", stepLabel(step)),
			Hint:    fix(CodeBadResponse), Err: err}
	}
	return &si, resp, nil
}
