package jiratest

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// flavorNames are the flavors for people.
var flavorNames = map[Flavor]string{Server: "Server", DataCenter: "Data Center", Cloud: "Cloud"}

// versionNumbers splits a version such as "9.12.2" into its numbers.
func versionNumbers(v string) []int {
	var out []int
	for p := range strings.SplitSeq(v, ".") {
		n, _ := strconv.Atoi(strings.TrimSuffix(p, "-SNAPSHOT"))
		out = append(out, n)
	}
	return out
}

// jiraTimeFormat is how Jira's REST API writes times.
const jiraTimeFormat = "2006-01-02T15:04:05.000-0700"

// writeJSON writes a JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode the answer", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-cache, no-store, no-transform")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeRESTError writes Jira's JSON error.
func writeRESTError(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, map[string]any{"errorMessages": msgs, "errors": map[string]string{}})
}

// restUser authenticates a REST call. A call without OAuth is anonymous
// (nil user); a call with OAuth must be signed with an access token of its
// consumer that has not expired, or it is answered with an oauth_problem
// and ok is false. The user returned is a copy.
func (j *Jira) restUser(w http.ResponseWriter, r *http.Request) (u *User, ok bool) {
	m, ok := j.readMessageOrFail(w, r)
	if !ok {
		return nil, false
	}
	if !m.hasOAuth {
		if name, pass, basic := r.BasicAuth(); basic {
			return j.basicUser(w, r, name, pass)
		}
		return nil, true
	}
	j.mu.Lock()
	now := j.nowLocked()
	_, t, prob := j.verifyLocked(m, checkREST, now)
	if prob == nil && t.expired(now) {
		prob = newProblem(ProblemTokenExpired)
	}
	if prob == nil {
		if found := j.users[t.user]; found != nil {
			c := *found
			u = &c
		} else {
			prob = newProblem(ProblemTokenRejected) // the approver is gone
		}
	}
	j.mu.Unlock()
	if prob != nil {
		j.writeProblem(w, r, prob)
		return nil, false
	}
	return u, true
}

// MaxLoginFailures is how many wrong Basic logins in a row Server and Data
// Center accept before they ask for a CAPTCHA (Jira's default is 3): from
// then on every Basic login of that user, right or wrong, is refused with
// X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE until the user logs in
// through the web page.
const MaxLoginFailures = 3

// basicUser authenticates a REST call with Basic authentication: on
// Server and Data Center a username and its password, on Cloud an email
// address and an API token (Cloud refuses account passwords there). A
// wrong pair is a 401 with X-Seraph-LoginReason: AUTHENTICATED_FAILED;
// past MaxLoginFailures, Server and Data Center answer 403 with the
// CAPTCHA headers. The user returned is a copy.
func (j *Jira) basicUser(w http.ResponseWriter, r *http.Request, login, pass string) (*User, bool) {
	j.mu.Lock()
	var found *User
	for _, u := range j.users {
		secret := u.Password
		match := sameName(login, u.Name)
		if j.flavor == Cloud {
			secret, match = u.APIToken, sameName(login, u.Email)
		}
		if match && secret != "" && subtle.ConstantTimeCompare([]byte(pass), []byte(secret)) == 1 {
			c := *u
			found = &c
		}
	}
	key := strings.ToLower(login)
	captcha := j.flavor != Cloud && j.failures[key] >= MaxLoginFailures
	switch {
	case found != nil && !captcha:
		delete(j.failures, key)
	case found == nil && j.flavor != Cloud:
		j.failures[key]++
	}
	j.mu.Unlock()
	switch {
	case captcha:
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATION_DENIED")
		w.Header().Set("X-Authentication-Denied-Reason", "CAPTCHA_CHALLENGE; login-url="+j.siteURL(r)+PathLogin)
		writeRESTError(w, http.StatusForbidden, "CAPTCHA_CHALLENGE")
		return nil, false
	case found == nil:
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		writeRESTError(w, http.StatusUnauthorized, "Basic authentication failed.")
		return nil, false
	}
	return found, true
}

// handleMyself serves GET /rest/api/2/myself: who the access token acts
// as. Server and Data Center answer name, key and emailAddress; Cloud
// answers accountId and accountType, and no emailAddress when the user
// hides it (or has none). An anonymous call gets Jira's 401.
func (j *Jira) handleMyself(w http.ResponseWriter, r *http.Request) {
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	if u == nil {
		w.Header().Set("WWW-Authenticate", `OAuth realm="`+percentEncode(j.siteURL(r))+`"`)
		writeRESTError(w, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		return
	}
	me := map[string]any{"displayName": displayName(u), "active": true, "timeZone": "Etc/UTC", "locale": "en_US"}
	if j.flavor == Cloud {
		me["self"] = j.siteURL(r) + "/rest/api/2/user?accountId=" + url.QueryEscape(u.AccountID)
		me["accountId"], me["accountType"] = u.AccountID, "atlassian"
		if !u.HideEmail && u.Email != "" {
			me["emailAddress"] = u.Email
		}
	} else {
		me["self"] = j.siteURL(r) + "/rest/api/2/user?username=" + url.QueryEscape(u.Name)
		me["key"], me["name"], me["emailAddress"], me["deleted"] = u.Key, u.Name, u.Email, false
	}
	writeJSON(w, http.StatusOK, me)
}

// handleMyPermissions serves GET /rest/api/2/mypermissions?projectKey=P&
// permissions=K1,K2. permissions is required on Cloud (400 without it);
// on Server, without it, every known permission is listed. An unknown
// permission key is a 400, a project the user cannot see a 404.
func (j *Jira) handleMyPermissions(w http.ResponseWriter, r *http.Request) {
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var wanted []permission
	for _, list := range q["permissions"] {
		for _, k := range strings.Split(list, ",") {
			if k = strings.TrimSpace(k); k == "" || slices.ContainsFunc(wanted, func(p permission) bool { return p.Key == k }) {
				continue
			}
			p, known := permissionByKey(k)
			if !known {
				writeRESTError(w, http.StatusBadRequest, "Invalid permission key: "+k)
				return
			}
			wanted = append(wanted, p)
		}
	}
	if len(wanted) == 0 {
		if j.flavor == Cloud {
			writeRESTError(w, http.StatusBadRequest, "The 'permissions' query parameter is required.")
			return
		}
		wanted = knownPermissions
	}
	project := q.Get("projectKey")
	if project != "" && (u == nil || u.Permissions[project] == nil) {
		writeRESTError(w, http.StatusNotFound, "No project could be found with key '"+project+"'.")
		return
	}
	out := map[string]any{}
	for _, p := range wanted {
		out[p.Key] = struct {
			permission
			HavePermission bool `json:"havePermission"`
		}{p, holds(u, p, project)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"permissions": out})
}

// handleServerInfo serves GET /rest/api/2/serverInfo, anonymous (a signed
// call is checked like any other). serverTime is the simulated clock,
// ClockOffset included.
func (j *Jira) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok := j.restUser(w, r); !ok {
		return
	}
	j.mu.Lock()
	now, base := j.nowLocked(), cmp.Or(j.faults.BaseURL, j.siteURL(r))
	j.mu.Unlock()
	build := 912002
	if j.flavor == Cloud {
		build = 100245
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"baseUrl":        base,
		"version":        j.ver,
		"versionNumbers": versionNumbers(j.ver),
		"deploymentType": strings.ReplaceAll(flavorNames[j.flavor], " ", ""),
		"buildNumber":    build,
		"buildDate":      time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC).Format(jiraTimeFormat),
		"serverTime":     now.Format(jiraTimeFormat),
		"scmInfo":        "simulated",
		"serverTitle":    "Jira",
	})
}

// handleSearch serves /rest/api/2/search: an empty result, after checking
// the signature of a signed call (its query, repeated keys and all).
func (j *Jira) handleSearch(w http.ResponseWriter, r *http.Request) {
	if _, ok := j.restUser(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"startAt": 0, "maxResults": 50, "total": 0, "issues": []any{}})
}

// handleProjects serves GET /rest/api/2/project: the projects in which the
// user holds any permission (none for an anonymous call).
func (j *Jira) handleProjects(w http.ResponseWriter, r *http.Request) {
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	out := []map[string]any{}
	if u != nil {
		for _, k := range slices.Sorted(maps.Keys(u.Permissions)) {
			if pid := projectID(k); k != "" {
				out = append(out, map[string]any{"self": j.siteURL(r) + "/rest/api/2/project/" + pid, "id": pid, "key": k,
					"name": k, "projectTypeKey": "software"})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// projectID is a stable project id derived from its key.
func projectID(key string) string {
	return strconv.Itoa(10000 + int(nameHash("project:"+key)%90000))
}

// permission describes one Jira permission as mypermissions lists it.
type permission struct {
	ID          string `json:"id"`
	Key         string `json:"key"`
	Name        string `json:"name"`
	Type        string `json:"type"` // "GLOBAL" or "PROJECT"
	Description string `json:"description"`
}

// knownPermissions are the permissions the simulated Jira knows, in the
// order Jira lists them: the global ones, then the project ones (Jira
// Software's MANAGE_SPRINTS_PERMISSION included).
var knownPermissions = []permission{
	{"0", "ADMINISTER", "Administer Jira", "GLOBAL", "Create and administer projects, issue types, fields, workflows, and schemes for all projects."},
	{"44", "SYSTEM_ADMIN", "Jira System Administrators", "GLOBAL", "Ability to perform all administration functions."},
	{"27", "USER_PICKER", "Browse users and groups", "GLOBAL", "View and select users or groups from the user picker, and share issues."},
	{"22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", "GLOBAL", "Share dashboards and filters with other users."},
	{"24", "MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "Manage group filter subscriptions", "GLOBAL", "Create and delete group filter subscriptions."},
	{"33", "BULK_CHANGE", "Make bulk changes", "GLOBAL", "Modify collections of issues at once."},
	{"23", "ADMINISTER_PROJECTS", "Administer Projects", "PROJECT", "Ability to administer a project in Jira."},
	{"10", "BROWSE_PROJECTS", "Browse Projects", "PROJECT", "Ability to browse projects and the issues within them."},
	{"29", "VIEW_DEV_TOOLS", "View Development Tools", "PROJECT", "Allows users to view development-related information on the issue."},
	{"45", "VIEW_READONLY_WORKFLOW", "View Read-Only Workflow", "PROJECT", "Users with this permission may view a read-only version of a workflow."},
	{"11", "CREATE_ISSUES", "Create Issues", "PROJECT", "Ability to create issues."},
	{"12", "EDIT_ISSUES", "Edit Issues", "PROJECT", "Ability to edit issues."},
	{"46", "TRANSITION_ISSUES", "Transition Issues", "PROJECT", "Ability to transition issues."},
	{"13", "ASSIGN_ISSUES", "Assign Issues", "PROJECT", "Ability to assign issues to other people."},
	{"17", "ASSIGNABLE_USER", "Assignable User", "PROJECT", "Users with this permission may be assigned to issues."},
	{"14", "RESOLVE_ISSUES", "Resolve Issues", "PROJECT", "Ability to resolve and reopen issues."},
	{"18", "CLOSE_ISSUES", "Close Issues", "PROJECT", "Ability to close issues."},
	{"16", "DELETE_ISSUES", "Delete Issues", "PROJECT", "Ability to delete issues."},
	{"21", "LINK_ISSUES", "Link Issues", "PROJECT", "Ability to link issues together and create linked issues."},
	{"30", "MODIFY_REPORTER", "Modify Reporter", "PROJECT", "Ability to modify the reporter when creating or editing an issue."},
	{"25", "MOVE_ISSUES", "Move Issues", "PROJECT", "Ability to move issues between projects or between workflows of the same project."},
	{"28", "SCHEDULE_ISSUES", "Schedule Issues", "PROJECT", "Ability to view or edit an issue's due date."},
	{"26", "SET_ISSUE_SECURITY", "Set Issue Security", "PROJECT", "Ability to set the level of security on an issue."},
	{"10300", "MANAGE_SPRINTS_PERMISSION", "Manage Sprints", "PROJECT", "Ability to manage sprints."},
	{"15", "ADD_COMMENTS", "Add Comments", "PROJECT", "Ability to comment on issues."},
	{"34", "EDIT_ALL_COMMENTS", "Edit All Comments", "PROJECT", "Ability to edit all comments made on issues."},
	{"35", "EDIT_OWN_COMMENTS", "Edit Own Comments", "PROJECT", "Ability to edit own comments made on issues."},
	{"36", "DELETE_ALL_COMMENTS", "Delete All Comments", "PROJECT", "Ability to delete all comments made on issues."},
	{"37", "DELETE_OWN_COMMENTS", "Delete Own Comments", "PROJECT", "Ability to delete own comments made on issues."},
	{"19", "CREATE_ATTACHMENTS", "Create Attachments", "PROJECT", "Users with this permission may create attachments."},
	{"38", "DELETE_ALL_ATTACHMENTS", "Delete All Attachments", "PROJECT", "Users with this permission may delete all attachments."},
	{"39", "DELETE_OWN_ATTACHMENTS", "Delete Own Attachments", "PROJECT", "Users with this permission may delete own attachments."},
	{"20", "WORK_ON_ISSUES", "Work On Issues", "PROJECT", "Ability to log work done against an issue."},
	{"40", "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", "PROJECT", "Ability to edit own worklogs made on issues."},
	{"41", "EDIT_ALL_WORKLOGS", "Edit All Worklogs", "PROJECT", "Ability to edit all worklogs made on issues."},
	{"42", "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", "PROJECT", "Ability to delete own worklogs made on issues."},
	{"43", "DELETE_ALL_WORKLOGS", "Delete All Worklogs", "PROJECT", "Ability to delete all worklogs made on issues."},
	{"31", "VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers", "PROJECT", "Ability to view the voters and watchers of an issue."},
	{"32", "MANAGE_WATCHERS", "Manage Watchers", "PROJECT", "Ability to manage the watchers of an issue."},
}

// permissionByKey finds a known permission.
func permissionByKey(key string) (permission, bool) {
	i := slices.IndexFunc(knownPermissions, func(p permission) bool { return p.Key == key })
	if i < 0 {
		return permission{}, false
	}
	return knownPermissions[i], true
}

// holds reports whether u holds perm in project ("" for no project: a
// global permission, or a project permission held in any project).
func holds(u *User, perm permission, project string) bool {
	if u == nil {
		return false
	}
	has := func(scope string) bool { return slices.Contains(u.Permissions[scope], perm.Key) }
	if perm.Type == "GLOBAL" {
		return has("")
	}
	if project != "" {
		return has(project)
	}
	for scope := range u.Permissions {
		if scope != "" && has(scope) {
			return true
		}
	}
	return false
}
