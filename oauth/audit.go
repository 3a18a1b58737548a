package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/applink/applink/fault"
)

// PresetJiraAlign is the permission preset of Jira Align's connector (and
// of issue-sync integrations like it): SyncPermissions on every project,
// GlobalSyncPermissions globally.
const PresetJiraAlign = "jira-align"

// MaxAuditProjects bounds the projects of one audit (each costs Jira a few
// calls).
const MaxAuditProjects = 50

// Codes of the audit's gaps that are not permission keys.
const (
	// CodeProjectNotVisible: Jira knows no such project, or the account
	// cannot browse it (mypermissions answered 404).
	CodeProjectNotVisible Code = "project_not_visible"
	// CodeReporterNotOnScreen: the account holds Modify Reporter but the
	// Reporter field is not on the create screen of some of the project's
	// issue types (createmeta does not list it).
	CodeReporterNotOnScreen Code = "reporter_not_on_screen"
	// CodeAuditTruncated: createmeta reading stopped at a cap, so some
	// issue types were not checked.
	CodeAuditTruncated Code = "audit_truncated"
)

// Caps of the issue type names one gap lists, and of each name's length.
const (
	maxGapNames   = 20
	maxGapNameLen = 100
)

// AuditRequest says what to audit: the permissions of Preset (when not
// empty) and Permissions on each of Projects. Global permission keys
// (such as USER_PICKER) are checked once, globally. With neither a
// preset nor permissions, the preset is PresetJiraAlign.
type AuditRequest struct {
	Projects    []string `json:"projects"`
	Preset      string   `json:"preset"`
	Permissions []string `json:"permissions"`
}

// PermissionAudit is what an account may do of what an integration
// needs: per project key and globally, what is missing (with its
// consequence) and what is granted. Its JSON form is the API's
// {"projects": {"ABC": {"missing", "granted"}}, "global": {...}}.
type PermissionAudit struct {
	Projects map[string]*AuditScope `json:"projects"`
	Global   *AuditScope            `json:"global"`
}

// AuditScope is the audit of one project, or of the global permissions.
// Granted lists permission keys in the order asked.
type AuditScope struct {
	Missing []Gap    `json:"missing"`
	Granted []string `json:"granted"`
}

// Gap is one thing the integration needs and lacks: a permission (Code is
// its key, such as MODIFY_REPORTER) or a project or screen problem
// (CodeProjectNotVisible, CodeReporterNotOnScreen); Consequence is the
// failure the sync will meet (as its log words it), Fix what a Jira admin
// does about it.
type Gap struct {
	Code        Code   `json:"code"`
	Consequence string `json:"consequence"`
	Fix         string `json:"fix"`
	// Omitted counts the names Consequence leaves out (maxGapNames).
	Omitted int `json:"omitted,omitempty"`
}

// OK reports whether nothing is missing anywhere.
func (a *PermissionAudit) OK() bool {
	if a == nil {
		return false
	}
	for _, s := range a.Projects {
		if len(s.Missing) > 0 {
			return false
		}
	}
	return a.Global == nil || len(a.Global.Missing) == 0
}

// globalPermissionKeys are the global permissions among Jira's; any other
// key is checked per project.
var globalPermissionKeys = []string{
	"ADMINISTER", "SYSTEM_ADMIN", "USER_PICKER", "CREATE_SHARED_OBJECTS",
	"MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "BULK_CHANGE",
}

// consequences is the one table of what a sync meets without each
// permission.
var consequences = map[string]string{
	"BROWSE_PROJECTS":           "The project and its issues cannot be read",
	"CREATE_ISSUES":             "Issues cannot be created",
	"EDIT_ISSUES":               "Issues cannot be updated",
	"TRANSITION_ISSUES":         "Issue status cannot be changed",
	"ASSIGN_ISSUES":             "Field 'assignee' cannot be set",
	"ASSIGNABLE_USER":           "Issues cannot be assigned to the service account",
	"LINK_ISSUES":               "Issue links (dependencies) cannot be created",
	"MODIFY_REPORTER":           "Field 'reporter' cannot be set",
	"SCHEDULE_ISSUES":           "Field 'duedate' cannot be set",
	"MANAGE_SPRINTS_PERMISSION": "Sprints cannot be created, started or changed",
	"ADD_COMMENTS":              "Comments cannot be added",
	"USER_PICKER":               "Users cannot be looked up, so reporters and assignees cannot be matched",
}

// permissionGap is the gap of a missing permission in project ("" for a
// global one).
func permissionGap(key, project string) Gap {
	fix := fmt.Sprintf("Grant %s to the service account (or a group or role it is in) in the permission scheme of project %s: Project settings > Permissions.", key, project)
	if project == "" {
		fix = fmt.Sprintf("Grant %s to the service account (or a group it is in): Administration > System > Global permissions.", key)
	}
	consequence, ok := consequences[key]
	if !ok {
		consequence = "Whatever needs " + key + " fails"
	}
	return Gap{Code: Code(key), Consequence: consequence, Fix: fix}
}

// plan is a checked AuditRequest.
type plan struct {
	projects, perProject, global []string
}

// planAudit checks an AuditRequest: project keys as in issue keys (upper
// case, at most MaxAuditProjects), a known preset, permission keys in
// Jira's spelling. It fails with CodeBadInput.
func planAudit(req AuditRequest) (*plan, error) {
	bad := func(msg, hint string) error {
		return &Error{Code: CodeBadInput, Step: "audit", Message: msg, Hint: hint}
	}
	var keys []string
	switch preset := strings.TrimSpace(req.Preset); preset {
	case "", PresetJiraAlign:
		if preset != "" || len(req.Permissions) == 0 {
			keys = append(slices.Clone(SyncPermissions), GlobalSyncPermissions...)
		}
	default:
		return nil, bad(fmt.Sprintf("there is no permission preset %q", short(req.Preset, 40)), "use the preset "+PresetJiraAlign+", or list the permissions")
	}
	p := &plan{}
	seen := map[string]bool{}
	for _, k := range append(keys, req.Permissions...) {
		k = strings.ToUpper(strings.TrimSpace(k))
		if k == "" || seen[k] {
			continue
		}
		if !isPermissionKey(k) {
			return nil, bad(fmt.Sprintf("%q is not a Jira permission key", short(k, 40)), "write permission keys as Jira does, such as MODIFY_REPORTER")
		}
		seen[k] = true
		if slices.Contains(globalPermissionKeys, k) {
			p.global = append(p.global, k)
		} else {
			p.perProject = append(p.perProject, k)
		}
	}
	projects, err := ParseProjectKeys(req.Projects)
	if err != nil {
		return nil, err
	}
	p.projects = projects
	if len(p.projects) > 0 && len(p.perProject) == 0 && len(p.global) == 0 {
		return nil, bad("no permissions to check", "name a preset or permission keys")
	}
	return p, nil
}

// ParseProjectKeys checks project keys as in issue keys (ABC for ABC-123):
// trimmed and upper-cased, each once in the order given, a letter then
// letters, digits or underscores, at most MaxAuditProjects of them. It
// fails with CodeBadInput.
func ParseProjectKeys(keys []string) ([]string, error) {
	out := []string{}
	for _, pk := range keys {
		pk = strings.ToUpper(strings.TrimSpace(pk))
		if pk == "" || slices.Contains(out, pk) {
			continue
		}
		if !isPermissionKey(pk) || pk[0] < 'A' || pk[0] > 'Z' {
			return nil, &Error{Code: CodeBadInput, Step: "audit", Message: fmt.Sprintf("%q is not a Jira project key", short(pk, 40)),
				Hint: "give project keys as in issue keys, such as ABC for ABC-123"}
		}
		out = append(out, pk)
	}
	if len(out) > MaxAuditProjects {
		return nil, &Error{Code: CodeBadInput, Step: "audit", Message: fmt.Sprintf("%d projects is more than the %d one audit checks", len(out), MaxAuditProjects),
			Hint: "audit the projects in smaller groups"}
	}
	return out, nil
}

// isPermissionKey reports whether k is upper-case letters, digits and
// underscores, 1 to 64 of them: the shape of Jira's permission and project
// keys.
func isPermissionKey(k string) bool {
	return k != "" && len(k) <= 64 && strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// RunAudit checks what cl's account may do of what req asks, project by
// project and globally: the permissions (mypermissions), and, when Modify
// Reporter is asked and granted in a project, that the Reporter field is
// on the create screen of each of its issue types (reporterOffScreen),
// since a missing screen field fails the sync as a missing permission
// does. A project Jira does not show is the gap CodeProjectNotVisible.
// Any other failure at Jira (a refused token, no answer) ends the audit
// with that *Error; a bad request is CodeBadInput.
func RunAudit(ctx context.Context, cl Caller, req AuditRequest) (*PermissionAudit, error) {
	p, err := planAudit(req)
	if err != nil {
		return nil, err
	}
	capped := &cappedCaller{Caller: cl, bytes: maxAuditBytes}
	a := &PermissionAudit{Projects: map[string]*AuditScope{}}
	for _, project := range p.projects {
		if a.Projects[project], err = auditProject(ctx, capped, project, p.perProject); err != nil {
			return nil, err
		}
	}
	if a.Global, err = auditProject(ctx, capped, "", p.global); err != nil {
		return nil, err
	}
	return a, nil
}

// auditProject audits one project, or the global permissions ("").
func auditProject(ctx context.Context, cl *cappedCaller, project string, keys []string) (*AuditScope, error) {
	if len(keys) == 0 {
		return &AuditScope{Missing: []Gap{}, Granted: []string{}}, nil
	}
	scope, err := checkPermissions(ctx, cl, project, keys)
	if fault.Is(err, CodeNotFound) && project != "" {
		return &AuditScope{Granted: []string{}, Missing: []Gap{{Code: CodeProjectNotVisible,
			Consequence: fmt.Sprintf("The sync cannot see project %s: Jira knows no such project, or the account cannot browse it", project),
			Fix:         "Check the project key (as in issue keys, e.g. ABC for ABC-123), and grant BROWSE_PROJECTS to the service account in that project's permission scheme."}}}, nil
	} else if err != nil {
		return nil, err
	}
	if slices.Contains(keys, "MODIFY_REPORTER") && slices.Contains(scope.Granted, "MODIFY_REPORTER") {
		off, err := reporterOffScreen(ctx, cl, project)
		if err != nil && !fault.Is(err, CodeAuditTruncated) {
			return nil, err
		}
		if len(off) > 0 {
			names, omitted := off[:min(len(off), maxGapNames)], max(len(off)-maxGapNames, 0)
			for i, n := range names {
				names[i] = short(n, maxGapNameLen)
			}
			list := strings.Join(names, ", ")
			if omitted > 0 {
				list += fmt.Sprintf(" and %d more", omitted)
			}
			scope.Missing = append(scope.Missing, Gap{Code: CodeReporterNotOnScreen, Omitted: omitted,
				Consequence: fmt.Sprintf("Field 'reporter' cannot be set on %s issues: the field is not on their create screen", list),
				Fix: fmt.Sprintf("Add the Reporter field to the create screen of those issue types in project %s "+
					"(Project settings > Screens, or Administration > Issues > Screens).", project)})
		}
		if err != nil {
			scope.Missing = append(scope.Missing, Gap{Code: CodeAuditTruncated, Consequence: fmt.Sprintf("applink stopped reading the create screens of project %s at its limits (%d pages a project, %d MB an audit, %d issue types): the Reporter field of the issue types past them is not checked", project, maxMetaPages, maxAuditBytes>>20, maxIssueTypes),
				Fix: fmt.Sprintf("Check in Jira that the Reporter field is on the create screen of every issue type of project %s (Project settings > Screens), or audit fewer projects at a time.", project)})
		}
	}
	return scope, nil
}

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

// parsePermissions reads a /rest/api/2/mypermissions body.
// A permission whose entry lacks "key" takes the key it is listed under.
// It fails with CodeBadResponse when the body is not JSON or holds no
// "permissions" object.
func parsePermissions(body []byte) (map[string]Permission, error) {
	var raw struct {
		Permissions map[string]Permission `json:"permissions"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Permissions == nil {
		return nil, &Error{Code: CodeBadResponse, Step: "mypermissions",
			Message: "Jira's answer to mypermissions is not a permissions object",
			Hint:    fix(CodeBadResponse), Err: err}
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
		return nil, &Error{Code: CodeBadInput, Step: step, URL: cl.BaseURL() + myPermissionsPath,
			Message: "no permission keys to check", Hint: "name at least one permission, such as BROWSE_PROJECTS"}
	}
	escaped := make([]string, len(asked))
	for i, k := range asked {
		escaped[i] = url.QueryEscape(k)
	}
	path := myPermissionsPath + "?"
	if project != "" {
		path += "projectKey=" + url.QueryEscape(project) + "&"
	}
	path += "permissions=" + strings.Join(escaped, ",")
	body, err := cl.Get(ctx, path, step) // a 404 for a project: auditProject's CodeProjectNotVisible
	if err != nil {
		return nil, err
	}
	perms, err := parsePermissions(body)
	if err != nil {
		return nil, withStep(err, step, cl.BaseURL()+myPermissionsPath)
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
