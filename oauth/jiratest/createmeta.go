package jiratest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Paths of the create-metadata resources: the old form (one call, every
// project's issue types with their fields), which Jira 9 removed, and the
// per-project form added in Jira 8.4 (issue types, then the fields of
// one), the only one on Jira 9 and later.
const (
	PathCreateMeta        = "/rest/api/2/issue/createmeta"
	PathCreateMetaProject = "/rest/api/2/issue/createmeta/" // + {project}/issuetypes[/{id}]
)

// issueType is an issue type of a project.
type issueType struct{ ID, Name string }

// issueTypes are the issue types of every project of the simulated Jira.
var issueTypes = []issueType{
	{"10001", "Story"}, {"10002", "Bug"}, {"10003", "Task"}, {"10004", "Epic"},
}

// HideReporter takes the Reporter field off the create screen of the
// named issue types of project (of all its issue types when none is
// named), as a Jira admin does by editing the project's screens.
func (j *Jira) HideReporter(project string, types ...string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(types) == 0 {
		for _, it := range issueTypes {
			types = append(types, it.Name)
		}
	}
	j.hidden[project] = append(j.hidden[project], types...)
}

// createMetaForms tells which create-metadata forms this Jira serves:
// Cloud both; Server and Data Center the old one before 8.4, both from
// 8.4, only the per-project one from 9.0.
func (j *Jira) createMetaForms() (old, perProject bool) {
	if j.flavor == Cloud {
		return true, true
	}
	switch v := versionNumbers(j.ver); {
	case slices.Compare(v, []int{9}) >= 0:
		return false, true
	case slices.Compare(v, []int{8, 4}) >= 0:
		return true, true
	}
	return true, false
}

// metaField is a field of an issue type's create screen.
type metaField struct {
	FieldID  string `json:"fieldId"`
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

// createFields are the fields of the create screen of issueType in
// project as u sees them: Reporter only with Modify Reporter (as Jira
// does) and when it is on the screen, Assignee only with Assign Issues.
// j.mu must be held.
func (j *Jira) createFieldsLocked(u *User, project, issueType string) []metaField {
	out := []metaField{{"project", "Project", true}, {"issuetype", "Issue Type", true}, {"summary", "Summary", true}}
	if holdsKey(u, project, "MODIFY_REPORTER") && !slices.Contains(j.hidden[project], issueType) {
		out = append(out, metaField{"reporter", "Reporter", true})
	}
	if holdsKey(u, project, "ASSIGN_ISSUES") {
		out = append(out, metaField{"assignee", "Assignee", false})
	}
	return append(out, metaField{"description", "Description", false})
}

// holdsKey reports whether u, who can see project, holds the project
// permission key in it.
func holdsKey(u *User, project, key string) bool { return slices.Contains(u.Permissions[project], key) }

// visible reports whether u can see project.
func visible(u *User, project string) bool {
	return u != nil && project != "" && u.Permissions[project] != nil
}

// handleCreateMeta serves the old GET createmeta?projectKeys=P1,P2&
// expand=projects.issuetypes.fields: the projects u can see, each with the
// issue types u may create (none without Create Issues), with their fields
// when expanded.
func (j *Jira) handleCreateMeta(w http.ResponseWriter, r *http.Request) {
	if old, _ := j.createMetaForms(); !old {
		j.notFound(w, r)
		return
	}
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	expand := strings.Contains(q.Get("expand"), "projects.issuetypes.fields")
	projects := []map[string]any{}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, key := range strings.Split(q.Get("projectKeys"), ",") {
		if key = strings.TrimSpace(key); !visible(u, key) {
			continue
		}
		types := []map[string]any{}
		if holdsKey(u, key, "CREATE_ISSUES") {
			for _, it := range issueTypes {
				t := map[string]any{"id": it.ID, "name": it.Name, "self": j.siteURL(r) + "/rest/api/2/issuetype/" + it.ID}
				if expand {
					fields := map[string]any{}
					for _, f := range j.createFieldsLocked(u, key, it.Name) {
						fields[f.FieldID] = map[string]any{"name": f.Name, "required": f.Required}
					}
					t["fields"] = fields
				}
				types = append(types, t)
			}
		}
		projects = append(projects, map[string]any{"id": projectID(key), "key": key, "name": key, "issuetypes": types})
	}
	writeJSON(w, http.StatusOK, map[string]any{"expand": "projects", "projects": projects})
}

// handleCreateMetaProject serves the per-project form:
// createmeta/{project}/issuetypes (the issue types u may create) and
// createmeta/{project}/issuetypes/{id} (the fields of one), one page
// (startAt, maxResults) at a time. Data Center names the list "values";
// Cloud names it "issueTypes" or "fields". A project u cannot see is a
// 404, as is an issue type it does not have.
func (j *Jira) handleCreateMetaProject(w http.ResponseWriter, r *http.Request, rest string) {
	if _, perProject := j.createMetaForms(); !perProject {
		j.notFound(w, r)
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[1] != "issuetypes" {
		j.notFound(w, r)
		return
	}
	u, ok := j.restUser(w, r)
	if !ok {
		return
	}
	key := parts[0]
	if !visible(u, key) {
		writeRESTError(w, http.StatusNotFound, "No project could be found with key '"+key+"'.")
		return
	}
	j.mu.Lock()
	items := []any{}
	listName := "issueTypes"
	if len(parts) == 2 {
		if holdsKey(u, key, "CREATE_ISSUES") {
			for _, it := range issueTypes {
				items = append(items, map[string]any{"id": it.ID, "name": it.Name})
			}
		}
	} else {
		listName = "fields"
		i := slices.IndexFunc(issueTypes, func(it issueType) bool { return it.ID == parts[2] })
		if i < 0 || !holdsKey(u, key, "CREATE_ISSUES") {
			j.mu.Unlock()
			writeRESTError(w, http.StatusNotFound, "Issue type with id '"+parts[2]+"' does not exist or is not available in this project.")
			return
		}
		for _, f := range j.createFieldsLocked(u, key, issueTypes[i].Name) {
			items = append(items, f)
		}
	}
	j.mu.Unlock()
	writePage(w, r, items, listName, j.flavor == Cloud)
}

// createMetaPageSize is the simulated Jira's maxResults, small so that
// clients must follow the pages.
const createMetaPageSize = 2

// writePage answers one page of items (query startAt) as Jira's paged
// answers do.
func writePage(w http.ResponseWriter, r *http.Request, items []any, cloudName string, cloud bool) {
	start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	start = min(max(start, 0), len(items))
	end := min(start+createMetaPageSize, len(items))
	page := items[start:end]
	out := map[string]any{"startAt": start, "maxResults": createMetaPageSize, "total": len(items)}
	if cloud {
		out[cloudName] = page
	} else {
		out["values"], out["isLast"] = page, end == len(items)
	}
	writeJSON(w, http.StatusOK, out)
}
