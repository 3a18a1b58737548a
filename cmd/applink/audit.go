package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/applink/applink/oauth"
)

// reportAndAudit prints who cl acts as: notice n when it is not the
// service account, ok when it is. With projects it then runs the
// permission audit (auditProjects) for the service account only, and
// otherwise says that the audit was skipped and why. It returns the exit
// code, the same for `applink authorize` and `applink check`: exitFor the
// verdict, or the audit's.
func reportAndAudit(ctx context.Context, cl oauth.Caller, a oauth.Approval, n *oauth.Notice, ok, projects, again string, e env) (*oauth.PermissionAudit, int) {
	if n != nil {
		label := map[oauth.Severity]string{oauth.SeverityDanger: "WARNING", oauth.SeverityWarning: "CHECK"}[n.Severity]
		fmt.Fprintf(e.stderr, "\n%s [%s]: %s\n  what to do: %s\n", label, n.Code, n.Message, n.Hint)
	} else {
		fmt.Fprintln(e.stderr, ok)
	}
	switch {
	case projects == "":
	case a.Verdict == oauth.VerdictMatch:
		return auditProjects(ctx, cl, a.Approver, projects, again, e)
	default:
		is := map[bool]string{true: "is not", false: "is not confirmed to be"}[a.Verdict == oauth.VerdictMismatch]
		fmt.Fprintf(e.stderr, "The permission audit was skipped: %s %s the service account %q, "+
			"and another account's permissions say nothing of the service account's.\n", a.Approver, is, a.ServiceAccount)
	}
	return nil, exitFor(a.Verdict)
}

// auditProjects runs the one permission audit (oauth.RunAudit, preset
// jira-align) of the comma-separated projects for the account cl acts as,
// prints it, and returns the exit code: exitOK when nothing is missing,
// exitPermissions when something is (and then says to grant it, then
// again), exitFailure when Jira did not answer.
func auditProjects(ctx context.Context, cl oauth.Caller, who fmt.Stringer, projects, again string, e env) (*oauth.PermissionAudit, int) {
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
		fmt.Fprintf(e.stderr, "Grant what is missing to %s (each line says where), then %s\n", who, again)
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
