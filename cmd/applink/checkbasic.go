package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/applink/applink/oauth"
)

// checkReport is what `applink check --token-file` and `applink check
// --basic-user` write with --json: who the token or login acts as, the
// verdict and its notice, and the audit when --projects was given. It
// holds no secret.
type checkReport struct {
	JiraURL        string                 `json:"jira_url"`
	User           string                 `json:"basic_user,omitempty"`
	AuthorizedAs   *oauth.Identity        `json:"authorized_as"`
	ServiceAccount string                 `json:"service_account"`
	IdentityCheck  oauth.Verdict          `json:"identity_check"`
	Notice         *oauth.Notice          `json:"notice,omitempty"`
	Permissions    *oauth.PermissionAudit `json:"permissions,omitempty"`
}

// checkBasic logs in to Jira with Basic authentication (the password
// from the environment variable o.passwordEnv) and checks that login
// (checkAs).
func checkBasic(ctx context.Context, o checkOptions, e env) int {
	cl, err := oauth.NewBasicClient(o.jiraURL, o.basicUser, e.getenv(o.passwordEnv))
	if err != nil {
		printError(e.stderr, "check", err)
		return exitUsage
	}
	hc, err := caClient(o.caFile)
	if err != nil {
		return fail(e, "check", err)
	}
	cl.SetHTTP(hc, o.timeout, nil)
	return checkAs(ctx, o, cl, cl.BaseURL(), fmt.Sprintf("The login %q", cl.User()), cl.Notice, e)
}

// checkAs asks Jira who cl acts as (subject: the token or the login),
// judges it against the service account as an approval is judged, audits
// --projects when it is the service account (reportAndAudit), prints the
// outcome, as JSON too with --json, and returns the exit code.
func checkAs(ctx context.Context, o checkOptions, cl oauth.Caller, base, subject string, notice func(oauth.Approval) *oauth.Notice, e env) int {
	id, err := oauth.Whoami(ctx, cl)
	if err != nil {
		return fail(e, "check", err)
	}
	a := oauth.Judge(id, o.serviceAccount, "", nil, time.Now())
	rep := checkReport{JiraURL: base, User: o.basicUser, AuthorizedAs: id, ServiceAccount: a.ServiceAccount, IdentityCheck: a.Verdict, Notice: notice(a)}
	ok := fmt.Sprintf("%s acts as %s: the designated service account %q.", subject, id, a.ServiceAccount)
	var code int
	rep.Permissions, code = reportAndAudit(ctx, cl, a, rep.Notice, ok, o.projects, "run this check again.", e)
	if o.json {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
	}
	return code
}
