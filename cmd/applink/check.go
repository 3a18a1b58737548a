package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
)

// checkOptions are the flags of `applink check`, in its three forms: the
// key alone (the preflight), an OAuth token (--token-file) and a Basic
// login (--basic-user).
type checkOptions struct {
	consumerFlags
	caFile, tokenFile, basicUser, passwordEnv, serviceAccount, projects string
	json                                                                bool
	timeout                                                             time.Duration
}

// runCheck checks a link without a person: `applink check`. With the key
// alone it runs the preflight: exit 0 when the link is ready, 1 when there
// is any problem. With --token-file (a token authorize wrote) or
// --basic-user (a login) it checks who that acts as and, with --projects,
// its permissions: exit codes as authorize's. 2 is a usage error.
func runCheck(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("check", "--jira-url URL (--key-dir DIR | --private-key FILE) --consumer-key KEY [--ca-file FILE] [--json] [--timeout D], "+
		"or --token-file FILE (--key-dir DIR | --private-key FILE) [--projects KEYS] [--service-account WHO] [...], "+
		"or --jira-url URL --basic-user USER --password-env VAR --service-account WHO [--projects KEYS] [...]", e)
	var o checkOptions
	o.consumerFlags.bind(fs)
	fs.StringVar(&o.tokenFile, "token-file", "", "check the OAuth token in this file, written by applink authorize --out: who it acts as and, with --projects, its permissions")
	fs.StringVar(&o.basicUser, "basic-user", "", "check a Basic-auth login instead: username (Server/Data Center) or email address (Cloud)")
	fs.StringVar(&o.passwordEnv, "password-env", "", "with --basic-user: the environment variable holding the password (Server/Data Center) or API token (Cloud)")
	fs.StringVar(&o.serviceAccount, "service-account", "", "the account the integration must act as: username, user key, account id or email (the token file's by default)")
	fs.StringVar(&o.projects, "projects", "", "comma-separated project keys: check that the token or login holds an issue sync's permissions on each")
	fs.StringVar(&o.caFile, "ca-file", "", "PEM file of the CA certificates that signed Jira's certificate, trusted besides the system's")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.DurationVar(&o.timeout, "timeout", oauth.DefaultTimeout, "give up on each call to Jira after this long")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if o.timeout <= 0 {
		return usageError(e, fs, "--timeout must be positive, such as 30s")
	}
	if o.keyDir != "" && o.privateKey != "" {
		return usageError(e, fs, "give one of --key-dir and --private-key, not both")
	}
	switch {
	case o.tokenFile != "" && (o.basicUser != "" || o.passwordEnv != ""):
		return usageError(e, fs, "give --token-file or --basic-user, not both")
	case o.basicUser != "" || o.passwordEnv != "":
		if code, ok := requireFlags(e, fs, "jira-url", "basic-user", "password-env", "service-account"); !ok {
			return code
		}
		if e.getenv(o.passwordEnv) == "" {
			return usageError(e, fs, "the environment variable %s named by --password-env is empty or not set", o.passwordEnv)
		}
		return checkBasic(ctx, o, e)
	case o.tokenFile != "":
		if code, ok := requireFlags(e, fs, "key-dir|private-key"); !ok {
			return code
		}
		return checkToken(ctx, o, e)
	case o.projects != "" || o.serviceAccount != "":
		return usageError(e, fs, "--projects and --service-account check a token or a login: add --token-file FILE (written by applink authorize --out) or --basic-user USER")
	}
	if code, ok := requireFlags(e, fs, "jira-url", "key-dir|private-key", "consumer-key"); !ok {
		return code
	}
	return checkKey(ctx, o, e)
}

// checkToken checks the OAuth token of the file that `applink authorize
// --out` wrote (checkAs); --jira-url, --consumer-key and
// --service-account default to that file's.
func checkToken(ctx context.Context, o checkOptions, e env) int {
	var tf tokenFile
	data, err := os.ReadFile(o.tokenFile)
	if err == nil {
		err = json.Unmarshal(data, &tf)
	}
	if err != nil || tf.AccessToken == "" || tf.TokenSecret == "" {
		return fail(e, "check", fault.Wrap(err, oauth.CodeBadInput, fmt.Sprintf("%s holds no token", o.tokenFile),
			"give --token-file the file that applink authorize --out wrote"))
	}
	o.jiraURL, o.consumerKey, o.serviceAccount = cmp.Or(o.jiraURL, tf.JiraURL), cmp.Or(o.consumerKey, tf.ConsumerKey), cmp.Or(o.serviceAccount, tf.ServiceAccount)
	c, err := o.consumer()
	if err != nil {
		return fail(e, "check", err)
	}
	return checkAs(ctx, o, c.As(oauth.Token{Token: tf.AccessToken, Secret: tf.TokenSecret}), c.Endpoints.Base, "The token", oauth.Approval.Notice, e)
}

// consumer builds the consumer the flags name, with --ca-file and --timeout.
func (o checkOptions) consumer() (*oauth.Consumer, error) {
	c, _, err := o.load()
	if err == nil {
		c.HTTPClient, err = caClient(o.caFile)
		c.Timeout = o.timeout
	}
	return c, err
}

// checkKey runs the key-based preflight (oauth.Consumer.Preflight).
func checkKey(ctx context.Context, o checkOptions, e env) int {
	c, err := o.consumer()
	if err != nil {
		return fail(e, "check", err)
	}
	res := c.Preflight(ctx, nil)
	for _, p := range res.Problems {
		p.Hint = oauth.HintFor(p, oauth.SurfaceCLI)
	}
	if o.json {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
	} else {
		printPreflight(e, c.Endpoints.Base, o.consumerKey, res)
	}
	if !res.OK {
		return exitFailure
	}
	return exitOK
}

// caClient returns nil (the default client), or one that trusts the CA
// certificates of file.
func caClient(file string) (*http.Client, error) {
	if file == "" {
		return nil, nil
	}
	f, err := os.Open(file)
	var pem []byte
	if err == nil {
		defer f.Close()
		pem, err = io.ReadAll(io.LimitReader(f, oauth.MaxCAPEM+1))
	}
	if err != nil {
		return nil, fault.Wrap(err, oauth.CodeBadInput, fmt.Sprintf("cannot read the CA file %s", file),
			"give a readable PEM file of CA certificates with --ca-file")
	}
	return oauth.ClientWithCA(nil, pem)
}

// printPreflight writes a preflight's result for people.
func printPreflight(e env, base, consumerKey string, res *oauth.PreflightResult) {
	if j := res.Jira; j.Version != "" {
		fmt.Fprintf(e.stdout, "Jira %s %s, base URL %s", j.DeploymentType, j.Version, j.BaseURL)
		if s := j.ClockSkewSeconds; s != nil {
			fmt.Fprintf(e.stdout, ", clock %+d s from this machine's", *s)
		}
		fmt.Fprintln(e.stdout)
	}
	if res.OK {
		fmt.Fprintf(e.stdout, "ok: %s accepted a request signed for consumer key %s; start the approval with applink authorize\n", base, consumerKey)
		return
	}
	fmt.Fprintf(e.stderr, "%d problem(s) at %s:\n", len(res.Problems), base)
	for _, p := range res.Problems {
		printError(e.stderr, "check", p)
	}
}
