package jiratest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// flavorName is the flavor for people.
func (j *Jira) flavorName() string {
	switch j.flavor {
	case Cloud:
		return "Cloud"
	case DataCenter:
		return "Data Center"
	}
	return "Server"
}

// deploymentType is serverInfo's deploymentType.
func (j *Jira) deploymentType() string {
	switch j.flavor {
	case Cloud:
		return "Cloud"
	case DataCenter:
		return "DataCenter"
	}
	return "Server"
}

// version is the Jira version the simulated Jira claims.
func (j *Jira) version() string {
	switch {
	case j.flavor == Cloud:
		return "1001.0.0-SNAPSHOT"
	case j.ver != "":
		return j.ver
	}
	return "9.12.2"
}

// versionNumbers are the major and minor numbers of version.
func (j *Jira) versionNumbers() (major, minor int) {
	parts := strings.SplitN(j.version(), ".", 3)
	major, _ = strconv.Atoi(parts[0])
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}

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

// restError is Jira's JSON error body.
type restError struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// writeRESTError writes Jira's JSON error.
func writeRESTError(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, restError{ErrorMessages: msgs, Errors: map[string]string{}})
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

// notAuthenticated is Jira's answer to an anonymous call that needs a
// user.
func (j *Jira) notAuthenticated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `OAuth realm="`+percentEncode(j.siteURL(r))+`"`)
	writeRESTError(w, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
}

// serverMyself is /rest/api/2/myself on Server and Data Center.
type serverMyself struct {
	Self         string `json:"self"`
	Key          string `json:"key"`
	Name         string `json:"name"`
	EmailAddress string `json:"emailAddress"`
	DisplayName  string `json:"displayName"`
	Active       bool   `json:"active"`
	Deleted      bool   `json:"deleted"`
	TimeZone     string `json:"timeZone"`
	Locale       string `json:"locale"`
}

// cloudMyself is /rest/api/2/myself on Cloud: no name or key; the email
// is missing when the user hides it.
type cloudMyself struct {
	Self         string `json:"self"`
	AccountID    string `json:"accountId"`
	AccountType  string `json:"accountType"`
	EmailAddress string `json:"emailAddress,omitempty"`
	DisplayName  string `json:"displayName"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone"`
	Locale       string `json:"locale"`
}

// handleMyself serves GET /rest/api/2/myself: who the access token acts
// as.
func (j *Jira) handleMyself(w http.ResponseWriter, r *http.Request) {
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	if u == nil {
		j.notAuthenticated(w, r)
		return
	}
	site := j.siteURL(r)
	if j.flavor == Cloud {
		me := cloudMyself{
			Self:        site + "/rest/api/2/user?accountId=" + url.QueryEscape(u.AccountID),
			AccountID:   u.AccountID,
			AccountType: "atlassian",
			DisplayName: displayName(u),
			Active:      true,
			TimeZone:    "Etc/UTC",
			Locale:      "en_US",
		}
		if !u.HideEmail {
			me.EmailAddress = u.Email
		}
		writeJSON(w, http.StatusOK, me)
		return
	}
	writeJSON(w, http.StatusOK, serverMyself{
		Self:         site + "/rest/api/2/user?username=" + url.QueryEscape(u.Name),
		Key:          u.Key,
		Name:         u.Name,
		EmailAddress: u.Email,
		DisplayName:  displayName(u),
		Active:       true,
		TimeZone:     "Etc/UTC",
		Locale:       "en_US",
	})
}

// permissionEntry is one entry of a mypermissions answer.
type permissionEntry struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Description    string `json:"description"`
	HavePermission bool   `json:"havePermission"`
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
	seen := map[string]bool{}
	for _, list := range q["permissions"] {
		for _, k := range strings.Split(list, ",") {
			k = strings.TrimSpace(k)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
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
	out := map[string]permissionEntry{}
	for _, p := range wanted {
		out[p.Key] = permissionEntry{p.ID, p.Key, p.Name, p.Type, p.Description, holds(u, p, project)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"permissions": out})
}

// serverInfo is /rest/api/2/serverInfo.
type serverInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers"`
	DeploymentType string `json:"deploymentType"`
	BuildNumber    int    `json:"buildNumber"`
	BuildDate      string `json:"buildDate"`
	ServerTime     string `json:"serverTime"`
	ScmInfo        string `json:"scmInfo"`
	ServerTitle    string `json:"serverTitle"`
}

// handleServerInfo serves GET /rest/api/2/serverInfo, anonymous (a signed
// call is checked like any other). serverTime is the simulated clock,
// ClockOffset included.
func (j *Jira) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok := j.restUser(w, r); !ok {
		return
	}
	j.mu.Lock()
	now := j.nowLocked()
	j.mu.Unlock()
	base := j.siteURL(r)
	if f := j.Faults(); f.BaseURL != "" {
		base = f.BaseURL
	}
	info := serverInfo{
		BaseURL:        base,
		Version:        j.version(),
		VersionNumbers: versionNumbers(j.version()),
		DeploymentType: j.deploymentType(),
		BuildNumber:    912002,
		BuildDate:      time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC).Format(jiraTimeFormat),
		ServerTime:     now.Format(jiraTimeFormat),
		ScmInfo:        "simulated",
		ServerTitle:    "Jira",
	}
	if j.flavor == Cloud {
		info.BuildNumber = 100245
	}
	writeJSON(w, http.StatusOK, info)
}

// handleSearch serves /rest/api/2/search: an empty result, after checking
// the signature of a signed call (its query, repeated keys and all).
func (j *Jira) handleSearch(w http.ResponseWriter, r *http.Request) {
	if _, ok := j.restUser(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"startAt": 0, "maxResults": 50, "total": 0, "issues": []any{}})
}

// project is an entry of /rest/api/2/project.
type project struct {
	Self           string `json:"self"`
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey"`
}

// handleProjects serves GET /rest/api/2/project: the projects in which the
// user holds any permission (none for an anonymous call).
func (j *Jira) handleProjects(w http.ResponseWriter, r *http.Request) {
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	out := []project{}
	if u != nil {
		var keys []string
		for k := range u.Permissions {
			if k != "" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		site := j.siteURL(r)
		for _, k := range keys {
			pid := projectID(k)
			out = append(out, project{Self: site + "/rest/api/2/project/" + pid, ID: pid, Key: k, Name: k, ProjectTypeKey: "software"})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// projectID is a stable project id derived from its key.
func projectID(key string) string {
	return strconv.Itoa(10000 + int(nameHash("project:"+key)%90000))
}
