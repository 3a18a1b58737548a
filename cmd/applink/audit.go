package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/applink/applink/oauth"
)

// auditProjects runs the one permission audit (oauth.RunAudit, preset
// jira-align) of the comma-separated projects for the account cl acts as,
// prints it, and returns the exit code: exitOK when nothing is missing,
// exitPermissions when something is, exitFailure when Jira did not answer.
// `applink authorize --projects` and `applink check --basic-user` use it.
func auditProjects(ctx context.Context, cl oauth.Caller, who fmt.Stringer, projects string, e env) (*oauth.PermissionAudit, int) {
	const cmd = "permissions"
	list, err := oauth.ParseProjectKeys(strings.Split(projects, ","))
	var a *oauth.PermissionAudit
	if err == nil {
		a, err = oauth.RunAudit(ctx, cl, oauth.AuditRequest{Projects: list, Preset: oauth.PresetJiraAlign})
	}
	if err != nil {
		printError(e.stderr, cmd, err)
		return nil, exitFailure
	}
	fmt.Fprintf(e.stderr, "\nPermissions of %s for an issue sync (preset %s):\n", who, oauth.PresetJiraAlign)
	for _, p := range list {
		printScope(e, p, a.Projects[p])
	}
	printScope(e, "global", a.Global)
	if !a.OK() {
		fmt.Fprintf(e.stderr, "Grant what is missing to %s (each line says where), then run this check again.\n", who)
		return a, exitPermissions
	}
	return a, exitOK
}

// printScope prints one line per project: ok with what is granted, or
// each missing thing with its consequence and what to do.
func printScope(e env, scope string, s *oauth.AuditScope) {
	if s == nil {
		return
	}
	if len(s.Missing) == 0 {
		fmt.Fprintf(e.stderr, "  %-10s ok (%s)\n", scope, strings.Join(s.Granted, ", "))
		return
	}
	for _, g := range s.Missing {
		fmt.Fprintf(e.stderr, "  %-10s MISSING %s: %s\n  %-10s what to do: %s\n", scope, g.Code, g.Consequence, "", g.Fix)
	}
}
