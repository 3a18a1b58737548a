package jiratest

import "slices"

// permission describes one Jira permission as mypermissions lists it.
type permission struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	Type           string `json:"type"` // "GLOBAL" or "PROJECT"
	Description    string `json:"description"`
	HavePermission bool   `json:"havePermission"`
}

// knownPermissions are the permissions the simulated Jira knows, in the
// order Jira lists them: the global ones, then the project ones (Jira
// Software's MANAGE_SPRINTS_PERMISSION included).
var knownPermissions = []permission{
	{"0", "ADMINISTER", "Administer Jira", "GLOBAL", "Create and administer projects, issue types, fields, workflows, and schemes for all projects.", false},
	{"44", "SYSTEM_ADMIN", "Jira System Administrators", "GLOBAL", "Ability to perform all administration functions.", false},
	{"27", "USER_PICKER", "Browse users and groups", "GLOBAL", "View and select users or groups from the user picker, and share issues.", false},
	{"22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", "GLOBAL", "Share dashboards and filters with other users.", false},
	{"24", "MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "Manage group filter subscriptions", "GLOBAL", "Create and delete group filter subscriptions.", false},
	{"33", "BULK_CHANGE", "Make bulk changes", "GLOBAL", "Modify collections of issues at once.", false},
	{"23", "ADMINISTER_PROJECTS", "Administer Projects", "PROJECT", "Ability to administer a project in Jira.", false},
	{"10", "BROWSE_PROJECTS", "Browse Projects", "PROJECT", "Ability to browse projects and the issues within them.", false},
	{"29", "VIEW_DEV_TOOLS", "View Development Tools", "PROJECT", "Allows users to view development-related information on the issue.", false},
	{"45", "VIEW_READONLY_WORKFLOW", "View Read-Only Workflow", "PROJECT", "Users with this permission may view a read-only version of a workflow.", false},
	{"11", "CREATE_ISSUES", "Create Issues", "PROJECT", "Ability to create issues.", false},
	{"12", "EDIT_ISSUES", "Edit Issues", "PROJECT", "Ability to edit issues.", false},
	{"46", "TRANSITION_ISSUES", "Transition Issues", "PROJECT", "Ability to transition issues.", false},
	{"13", "ASSIGN_ISSUES", "Assign Issues", "PROJECT", "Ability to assign issues to other people.", false},
	{"17", "ASSIGNABLE_USER", "Assignable User", "PROJECT", "Users with this permission may be assigned to issues.", false},
	{"14", "RESOLVE_ISSUES", "Resolve Issues", "PROJECT", "Ability to resolve and reopen issues.", false},
	{"18", "CLOSE_ISSUES", "Close Issues", "PROJECT", "Ability to close issues.", false},
	{"16", "DELETE_ISSUES", "Delete Issues", "PROJECT", "Ability to delete issues.", false},
	{"21", "LINK_ISSUES", "Link Issues", "PROJECT", "Ability to link issues together and create linked issues.", false},
	{"30", "MODIFY_REPORTER", "Modify Reporter", "PROJECT", "Ability to modify the reporter when creating or editing an issue.", false},
	{"25", "MOVE_ISSUES", "Move Issues", "PROJECT", "Ability to move issues between projects or between workflows of the same project.", false},
	{"28", "SCHEDULE_ISSUES", "Schedule Issues", "PROJECT", "Ability to view or edit an issue's due date.", false},
	{"26", "SET_ISSUE_SECURITY", "Set Issue Security", "PROJECT", "Ability to set the level of security on an issue.", false},
	{"10300", "MANAGE_SPRINTS_PERMISSION", "Manage Sprints", "PROJECT", "Ability to manage sprints.", false},
	{"15", "ADD_COMMENTS", "Add Comments", "PROJECT", "Ability to comment on issues.", false},
	{"34", "EDIT_ALL_COMMENTS", "Edit All Comments", "PROJECT", "Ability to edit all comments made on issues.", false},
	{"35", "EDIT_OWN_COMMENTS", "Edit Own Comments", "PROJECT", "Ability to edit own comments made on issues.", false},
	{"36", "DELETE_ALL_COMMENTS", "Delete All Comments", "PROJECT", "Ability to delete all comments made on issues.", false},
	{"37", "DELETE_OWN_COMMENTS", "Delete Own Comments", "PROJECT", "Ability to delete own comments made on issues.", false},
	{"19", "CREATE_ATTACHMENTS", "Create Attachments", "PROJECT", "Users with this permission may create attachments.", false},
	{"38", "DELETE_ALL_ATTACHMENTS", "Delete All Attachments", "PROJECT", "Users with this permission may delete all attachments.", false},
	{"39", "DELETE_OWN_ATTACHMENTS", "Delete Own Attachments", "PROJECT", "Users with this permission may delete own attachments.", false},
	{"20", "WORK_ON_ISSUES", "Work On Issues", "PROJECT", "Ability to log work done against an issue.", false},
	{"40", "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", "PROJECT", "Ability to edit own worklogs made on issues.", false},
	{"41", "EDIT_ALL_WORKLOGS", "Edit All Worklogs", "PROJECT", "Ability to edit all worklogs made on issues.", false},
	{"42", "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", "PROJECT", "Ability to delete own worklogs made on issues.", false},
	{"43", "DELETE_ALL_WORKLOGS", "Delete All Worklogs", "PROJECT", "Ability to delete all worklogs made on issues.", false},
	{"31", "VIEW_VOTERS_AND_WATCHERS", "View Voters and Watchers", "PROJECT", "Ability to view the voters and watchers of an issue.", false},
	{"32", "MANAGE_WATCHERS", "Manage Watchers", "PROJECT", "Ability to manage the watchers of an issue.", false},
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
