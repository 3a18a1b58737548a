package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/applink/applink/oauth"
)

// basicOptions are the flags of `applink check` for an integration that
// logs in with Basic authentication instead of OAuth:
//
//	--jira-url URL          Jira base URL (required)
//	--basic-user USER       username (Server/Data Center) or email (Cloud) (required)
//	--password-env VAR      environment variable holding the password or
//	                        Cloud API token (required; never a flag value)
//	--service-account WHO   the account the integration must act as (required)
//	--projects P1,P2        audit the jira-align permissions on these projects
//	--timeout D             bound on each call to Jira (default 30s)
//
// Exit codes, as authorize's: 0 the user is the service account (and
// holds what --projects needs), 3 it is someone else or cannot be compared
// with it, 4 it lacks permissions, 1 Jira refused or did not answer, 2 a
// usage error.
type basicOptions struct {
	jiraURL, user, passwordEnv, serviceAccount, projects string
	timeout                                              time.Duration
}

// addBasicFlags registers the flags only Basic authentication has
// (--basic-user, --password-env) on fs; `applink check` has the others.
func addBasicFlags(fs *flag.FlagSet, o *basicOptions) {
	fs.StringVar(&o.user, "basic-user", "", "check Basic authentication as this user: username (Server/Data Center) or email address (Cloud)")
	fs.StringVar(&o.passwordEnv, "password-env", "", "with --basic-user: the environment variable holding the password (Server/Data Center) or API token (Cloud)")
}

// runCheckBasic is `applink check --basic-user USER --password-env VAR
// --jira-url URL --service-account WHO [--projects P1,P2] [--timeout D]`,
// with its own flags; `applink check` may call it when --basic-user is
// given, or register addBasicFlags and call checkBasic.
func runCheckBasic(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("check", "--jira-url URL --basic-user USER --password-env VAR --service-account WHO [--projects P1,P2] [--timeout D]", e)
	var o basicOptions
	fs.StringVar(&o.jiraURL, "jira-url", "", "Jira base URL, context path included (required)")
	fs.StringVar(&o.serviceAccount, "service-account", "", "the account the integration must act as: username, user key, account id or email (required)")
	fs.StringVar(&o.projects, "projects", "", "comma-separated project keys: check that the account holds an issue sync's permissions on each")
	fs.DurationVar(&o.timeout, "timeout", oauth.DefaultTimeout, "bound on each call to Jira")
	addBasicFlags(fs, &o)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if code, ok := requireFlags(e, fs, "jira-url", "basic-user", "password-env", "service-account"); !ok {
		return code
	}
	if o.timeout <= 0 {
		return usageError(e, fs, "--timeout must be positive, such as 30s")
	}
	if e.getenv(o.passwordEnv) == "" {
		return usageError(e, fs, "the environment variable %s named by --password-env is empty or not set", o.passwordEnv)
	}
	return checkBasic(ctx, o, e)
}

// basicReport is what `applink check --basic-user` writes to standard
// output: who the login acts as, the verdict and its notice, and the
// audit when --projects was given. It holds no secret.
type basicReport struct {
	JiraURL        string                 `json:"jira_url"`
	User           string                 `json:"basic_user"`
	AuthorizedAs   *oauth.Identity        `json:"authorized_as"`
	ServiceAccount string                 `json:"service_account"`
	IdentityCheck  oauth.Verdict          `json:"identity_check"`
	Notice         *oauth.Notice          `json:"notice,omitempty"`
	Permissions    *oauth.PermissionAudit `json:"permissions,omitempty"`
}

// checkBasic logs in to Jira with Basic authentication (the password
// from the environment variable o.passwordEnv), asks who that is, judges
// it against the service account as an OAuth approval is judged, audits
// --projects when it is the service account, prints the outcome and
// returns the exit code.
func checkBasic(ctx context.Context, o basicOptions, e env) int {
	const cmd = "check"
	cl, err := oauth.NewBasicClient(o.jiraURL, o.user, e.getenv(o.passwordEnv))
	if err != nil {
		printError(e.stderr, cmd, err)
		return exitUsage
	}
	cl.SetHTTP(nil, o.timeout, nil)
	id, err := oauth.Whoami(ctx, cl)
	if err != nil {
		printError(e.stderr, cmd, err)
		return exitFailure
	}
	a := oauth.Judge(id, o.serviceAccount, "", nil, time.Now())
	rep := basicReport{JiraURL: cl.BaseURL(), User: cl.User(), AuthorizedAs: id, ServiceAccount: a.ServiceAccount,
		IdentityCheck: a.Verdict, Notice: a.Notice()}
	code := exitFor(a.Verdict)
	if n := rep.Notice; n != nil {
		label := map[oauth.Severity]string{oauth.SeverityDanger: "WARNING", oauth.SeverityWarning: "CHECK"}[n.Severity]
		fmt.Fprintf(e.stderr, "%s [%s]: the login %q acts as %s. %s\n  what to do: %s\n", label, n.Code, cl.User(), id, n.Message, n.Hint)
	} else {
		fmt.Fprintf(e.stderr, "The login %q acts as %s: the designated service account %q.\n", cl.User(), id, o.serviceAccount)
		if o.projects != "" {
			rep.Permissions, code = auditProjects(ctx, cl, id, o.projects, e)
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		printError(e.stderr, cmd, err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return code
}
