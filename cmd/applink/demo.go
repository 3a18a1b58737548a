package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/fsutil"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/applink/applink/server"
	"github.com/applink/applink/server/store"
)

// The demo's simulated Jira accounts and consumers.
const (
	demoServiceAccount = "svc-jira"
	demoServiceID      = "5b10ac8d82e05b22cc7d4ef5" // its Cloud account id
	demoAdmin          = "alex.admin"
	demoCLIConsumer    = "applink-demo-cli"
	demoLinkName       = "demo"
	demoProject        = "DEMO"
)

type demoOptions struct {
	addr, jiraAddr, data string
	cloud, once          bool
	dataKeyFile          string
}

func runDemo(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("demo", "[--addr 127.0.0.1:8080] [--jira-addr 127.0.0.1:0] [--data DIR] [--cloud] [--once] [--data-key-file FILE]", e)
	var o demoOptions
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address of the applink web UI (a free port is taken if this one is busy)")
	fs.StringVar(&o.jiraAddr, "jira-addr", "127.0.0.1:0", "address of the simulated Jira")
	fs.StringVar(&o.data, "data", "", "folder for the demo's keys, tokens and data (default: a new temporary folder)")
	fs.BoolVar(&o.cloud, "cloud", false, "simulate Jira Cloud (account ids) instead of Server/Data Center (usernames)")
	fs.BoolVar(&o.once, "once", false, "run the walk-through and exit instead of serving until interrupted")
	fs.StringVar(&o.dataKeyFile, "data-key-file", "", "data key (from 'applink datakey') that encrypts the service's secrets")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := demo(ctx, o, e); err != nil {
		return fail(e, "demo", err)
	}
	return exitOK
}

// demo runs the demo: a simulated Jira with the CLI's key and a link of the
// web service registered in it, the walk-through, and then, unless --once,
// the web service until ctx ends.
func demo(ctx context.Context, o demoOptions, e env) error {
	data, err := demoDataDir(o.data)
	if err != nil {
		return err
	}
	o.data = data
	jira, err := startJira(o)
	if err != nil {
		return err
	}
	defer jira.srv.Close()
	keyDir := filepath.Join(o.data, "keys")
	cliKey, err := registerCLIKey(jira, keyDir)
	if err != nil {
		return err
	}
	svc, err := startService(o, e)
	if err != nil {
		return err
	}
	defer svc.close()
	if err := registerLink(ctx, svc.srv, jira); err != nil {
		return err
	}
	svc.serve(ctx)
	printJira(e.stdout, jira)
	if err := demoWalkthrough(ctx, e.stdout, jira, cliKey); err != nil {
		return err
	}
	printInstructions(e.stdout, o, keyDir, jira, svc)
	if o.once {
		return nil
	}
	return svc.wait(ctx)
}

// demoDataDir makes dir private, or a new temporary folder (mode 0700)
// when dir is "", and returns it.
func demoDataDir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "applink-demo-")
	}
	return dir, fsutil.MkdirPrivate(dir)
}

// demoJira is the demo's simulated Jira, served on its own address.
type demoJira struct {
	*jiratest.Jira
	flavor jiratest.Flavor
	url    string
	srv    *http.Server
	// designated is the service account as people write it: a username on
	// Server/Data Center, an account id on Cloud (which has no usernames).
	designated         string
	svcPass, adminPass string
}

// startJira serves a simulated Jira with a service account and a personal
// admin on o.jiraAddr.
func startJira(o demoOptions) (*demoJira, error) {
	j := &demoJira{flavor: jiratest.Server, designated: demoServiceAccount, svcPass: randomPassword(), adminPass: randomPassword()}
	if o.cloud {
		j.flavor, j.designated = jiratest.Cloud, demoServiceID
	}
	j.Jira = jiratest.New(jiratest.Options{Flavor: j.flavor})
	perms := map[string][]string{demoProject: oauth.SyncPermissions, "": oauth.GlobalSyncPermissions}
	j.AddUser(jiratest.User{Name: demoServiceAccount, Key: "JIRAUSER10100", AccountID: demoServiceID,
		Email: "svc-jira@example.com", DisplayName: "Jira Align Service", Password: j.svcPass, Permissions: perms})
	j.AddUser(jiratest.User{Name: demoAdmin, Key: "JIRAUSER10000", AccountID: "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
		Email: "alex.admin@example.com", DisplayName: "Alex Admin", Password: j.adminPass, Permissions: perms})
	ln, err := net.Listen("tcp", o.jiraAddr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for the simulated Jira: %w", o.jiraAddr, err)
	}
	j.url = "http://" + browserAddr(ln.Addr())
	j.srv = &http.Server{Handler: j.Jira, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = j.srv.Serve(ln) }()
	return j, nil
}

// registerCLIKey makes the CLI's key pair in keyDir and registers it in the
// simulated Jira.
func registerCLIKey(jira *demoJira, keyDir string) (*rsa.PrivateKey, error) {
	key, err := keys.Generate(keys.DefaultBits)
	if err != nil {
		return nil, err
	}
	if err := keys.WriteDir(keyDir, key, true); err != nil {
		return nil, err
	}
	pubPEM, err := keys.MarshalPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return key, jira.AddConsumer(demoCLIConsumer, "applink demo (CLI)", pubPEM, "")
}

// demoService is the demo's web service and what it holds open.
type demoService struct {
	srv        *server.Server
	ln         net.Listener
	publicURL  string
	adminToken string
	served     chan error     // Serve's result, once serving
	closers    []func() error // run last first by close
}

// startService opens the web service's listener (on o.addr, or a free port
// when that one is busy), data folder and log file, and builds the server.
func startService(o demoOptions, e env) (_ *demoService, err error) {
	d := &demoService{}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.ln, err = net.Listen("tcp", o.addr); err != nil {
		if d.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
	}
	d.closers = append(d.closers, d.ln.Close) // closing twice (after Serve) is harmless
	d.publicURL = "http://" + browserAddr(d.ln.Addr())
	logFile, err := os.OpenFile(filepath.Join(o.data, "applink.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, fsutil.FileMode)
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, logFile.Close)
	st, sayDataKey, err := openDataFolder(filepath.Join(o.data, "service"), o.dataKeyFile, newLogger(logFile), e.stderr)
	if err != nil {
		return nil, err
	}
	sayDataKey()
	d.closers = append(d.closers, st.Close)
	if d.adminToken, _, err = server.AdminTokenFrom(st, e.getenv); err != nil {
		return nil, err
	}
	d.srv, err = server.New(server.Config{Store: st, PublicURL: d.publicURL, OnMismatch: server.MismatchWarn, AdminToken: d.adminToken, Logger: newLogger(logFile), Metrics: true})
	return d, err
}

// serve serves the web service in the background; close stops it.
func (d *demoService) serve(ctx context.Context) {
	ctx, stop := context.WithCancel(ctx)
	d.served = make(chan error, 1)
	go func() { d.served <- d.srv.Serve(ctx, d.ln) }()
	d.closers = append(d.closers, func() error { stop(); return <-d.served })
}

// wait returns nil when ctx ends, or the service's error should it stop
// before.
func (d *demoService) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-d.served:
		d.served <- err // for close
		return err
	}
}

// close stops the service and closes what it holds open, the service
// before its log file and store.
func (d *demoService) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		_ = d.closers[i]()
	}
}

// registerLink creates the demo's link and registers it in the simulated
// Jira. A demo run again on the same --data keeps its link, which the new
// simulated Jira needs again.
func registerLink(ctx context.Context, srv *server.Server, jira *demoJira) error {
	link, err := srv.CreateLink(ctx, server.LinkInput{Name: demoLinkName, JiraURL: jira.url, ServiceAccount: jira.designated, Environment: "sandbox"})
	if fault.Is(err, store.CodeExists) {
		link, err = srv.Link(demoLinkName)
	}
	if err != nil {
		return err
	}
	return jira.AddConsumer(link.AppLink.ConsumerKey, link.AppLink.ConsumerName, []byte(link.AppLink.PublicKey), "")
}

// printJira says what the demo runs and the simulated Jira's accounts.
func printJira(out io.Writer, jira *demoJira) {
	fmt.Fprintf(out, "applink demo: a simulated Jira (%s) and the applink web service, on this machine only.\n\n", jira.flavor)
	fmt.Fprintf(out, "Simulated Jira   %s\n", jira.url)
	fmt.Fprintf(out, "  service account  %-12s password %s   (the account that should approve)\n", demoServiceAccount, jira.svcPass)
	fmt.Fprintf(out, "  personal admin   %-12s password %s   (approving as this one is the classic mistake)\n\n", demoAdmin, jira.adminPass)
}

// printInstructions tells how to try it: in a browser, or in a terminal.
func printInstructions(out io.Writer, o demoOptions, keyDir string, jira *demoJira, svc *demoService) {
	fmt.Fprintf(out, "\nYour turn, in a browser:\n")
	fmt.Fprintf(out, "  1. Open %s/login and sign in with the admin token %s\n", svc.publicURL, svc.adminToken)
	fmt.Fprintf(out, "  2. Open the link %q, press \"Start approval\", and follow \"Go to Jira\" (or send the approval link).\n", demoLinkName)
	fmt.Fprintf(out, "  3. In Jira log in as %s to see success, or as %s to see the wrong-account warning\n"+
		"     (once %s has approved, an approval by %s is not kept: %s's token stays).\n", demoServiceAccount, demoAdmin, demoServiceAccount, demoAdmin, demoServiceAccount)
	fmt.Fprintf(out, "\nOr in a terminal, with applink on your PATH (go install ./cmd/applink; or type go run ./cmd/applink for applink):\n  applink authorize --jira-url %s --key-dir %s --consumer-key %s --service-account %s --out %s\n",
		jira.url, keyDir, demoCLIConsumer, jira.designated, filepath.Join(o.data, "token.json"))
	fmt.Fprintf(out, "\nMetrics (what Prometheus reads): %s/metrics\n", svc.publicURL)
	fmt.Fprintf(out, "\nData and logs: %s\n", o.data)
	if !o.once {
		fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
	}
}

// demoWalkthrough runs the handshake twice against the simulated Jira, with
// the CLI's key: the service account approves, then the personal admin
// does (once right, once wrong), and prints what applink says each time.
func demoWalkthrough(ctx context.Context, out io.Writer, jira *demoJira, key *rsa.PrivateKey) error {
	fmt.Fprintf(out, "Walk-through of the handshake (the same code as 'applink authorize'):\n")
	consumer, err := oauth.NewConsumer(jira.url, demoCLIConsumer, key)
	if err != nil {
		return err
	}
	browser := &jiratest.Browser{}
	for _, who := range []struct{ user, pass string }{{demoServiceAccount, jira.svcPass}, {demoAdmin, jira.adminPass}} {
		fmt.Fprintf(out, "\n  %s logs in to Jira and clicks Allow\n", who.user)
		rt, err := consumer.RequestToken(ctx, "oob")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "    request token      ok (expires %s)\n", rt.ExpiresAt.Format(time.Kitchen))
		_, verifier, err := browser.Approve(ctx, rt.AuthorizeURL, who.user, who.pass, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "    approval           ok (verification code received)\n")
		res, err := consumer.Complete(ctx, rt, verifier, jira.designated, "")
		if err != nil {
			return err
		}
		exp := "no expiry given"
		if !res.AccessToken.ExpiresAt.IsZero() {
			exp = "expires " + res.AccessToken.ExpiresAt.Format("2006-01-02")
		}
		fmt.Fprintf(out, "    access token       ok (%s)\n", exp)
		fmt.Fprintf(out, "    approved by        %s\n", res.Approver)
		if n := res.Notice(); n != nil {
			fmt.Fprintf(out, "    identity check     %s [%s]: 'applink authorize' exits %d and says:\n\n      %s\n      what to do: %s\n",
				strings.ToUpper(string(res.Verdict)), n.Code, exitFor(res.Verdict), n.Message, n.Hint)
			continue
		}
		fmt.Fprintf(out, "    identity check     ok: the designated service account %q\n", jira.designated)
		a, err := oauth.RunAudit(ctx, consumer.As(res.AccessToken.Token), oauth.AuditRequest{Projects: []string{demoProject}, Preset: oauth.PresetJiraAlign})
		if err != nil {
			return err
		}
		if a.OK() {
			fmt.Fprintf(out, "    permissions        ok: the %s permissions on project %s and globally\n", oauth.PresetJiraAlign, demoProject)
		} else {
			fmt.Fprintf(out, "    permissions        missing on %s: %d (see 'applink authorize --projects')\n", demoProject, len(a.Projects[demoProject].Missing)+len(a.Global.Missing))
		}
	}
	return nil
}

// randomPassword makes a short readable password for a demo account.
func randomPassword() string {
	return strings.ToLower(rand.Text()[:10])
}
