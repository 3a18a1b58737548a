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
}

func runDemo(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("demo", "[--addr 127.0.0.1:8080] [--jira-addr 127.0.0.1:0] [--data DIR] [--cloud] [--once]", e)
	var o demoOptions
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address of the applink web UI (a free port is taken if this one is busy)")
	fs.StringVar(&o.jiraAddr, "jira-addr", "127.0.0.1:0", "address of the simulated Jira")
	fs.StringVar(&o.data, "data", "", "folder for the demo's keys, tokens and data (default: a new temporary folder)")
	fs.BoolVar(&o.cloud, "cloud", false, "simulate Jira Cloud (account ids) instead of Server/Data Center (usernames)")
	fs.BoolVar(&o.once, "once", false, "run the walk-through and exit instead of serving until interrupted")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if err := demo(ctx, o, e); err != nil {
		printError(e.stderr, "demo", err)
		return exitFailure
	}
	return exitOK
}

func demo(ctx context.Context, o demoOptions, e env) error {
	out := e.stdout
	if o.data == "" {
		d, err := os.MkdirTemp("", "applink-demo-")
		if err != nil {
			return err
		}
		o.data = d
	}
	if err := fsutil.MkdirPrivate(o.data); err != nil {
		return err
	}

	// The simulated Jira, with a service account and a personal admin.
	// The designated service account as people write it: a username on
	// Server/Data Center, an account id on Cloud (which has no usernames).
	flavor, designated := jiratest.Server, demoServiceAccount
	if o.cloud {
		flavor, designated = jiratest.Cloud, demoServiceID
	}
	jira := jiratest.New(jiratest.Options{Flavor: flavor})
	svcPass, adminPass := randomPassword(), randomPassword()
	perms := map[string][]string{demoProject: oauth.SyncPermissions, "": oauth.GlobalSyncPermissions}
	jira.AddUser(jiratest.User{Name: demoServiceAccount, Key: "JIRAUSER10100", AccountID: demoServiceID,
		Email: "svc-jira@example.com", DisplayName: "Jira Align Service", Password: svcPass, Permissions: perms})
	jira.AddUser(jiratest.User{Name: demoAdmin, Key: "JIRAUSER10000", AccountID: "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
		Email: "alex.admin@example.com", DisplayName: "Alex Admin", Password: adminPass, Permissions: perms})
	jiraLn, err := net.Listen("tcp", o.jiraAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s for the simulated Jira: %w", o.jiraAddr, err)
	}
	jiraURL := "http://" + browserAddr(jiraLn.Addr())
	jiraSrv := &http.Server{Handler: jira, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = jiraSrv.Serve(jiraLn) }()
	defer jiraSrv.Close()

	// The CLI's key pair, registered in the simulated Jira.
	keyDir := filepath.Join(o.data, "keys")
	cliKey, err := keys.Generate(keys.DefaultBits)
	if err != nil {
		return err
	}
	if err := keys.WriteDir(keyDir, cliKey, true); err != nil {
		return err
	}
	pubPEM, err := keys.MarshalPublicKey(&cliKey.PublicKey)
	if err != nil {
		return err
	}
	if err := jira.AddConsumer(demoCLIConsumer, "applink demo (CLI)", pubPEM, ""); err != nil {
		return err
	}

	// The web service, with one link registered in the simulated Jira.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
	}
	defer ln.Close() // for the returns before Serve takes it; closing twice is harmless
	publicURL := "http://" + browserAddr(ln.Addr())
	st, err := store.Open(filepath.Join(o.data, "service"))
	if err != nil {
		return err
	}
	defer st.Close()
	adminToken, _, err := server.AdminTokenFrom(st, e.getenv)
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(o.data, "applink.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, fsutil.FileMode)
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv, err := server.New(server.Config{Store: st, PublicURL: publicURL, OnMismatch: "warn", AdminToken: adminToken, Logger: newLogger(logFile)})
	if err != nil {
		return err
	}
	link, err := srv.CreateLink(ctx, server.LinkInput{Name: demoLinkName, JiraURL: jiraURL, ServiceAccount: designated, Environment: "sandbox"})
	if fault.Is(err, store.CodeExists) {
		// A demo run again on the same --data: the link is kept, and the
		// new simulated Jira needs its consumer again.
		link, err = srv.Link(demoLinkName)
	}
	if err != nil {
		return err
	}
	if err := jira.AddConsumer(link.AppLink.ConsumerKey, link.AppLink.ConsumerName, []byte(link.AppLink.PublicKey), ""); err != nil {
		return err
	}
	serveCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	// On every return, stop the service before its log file and store are
	// closed by the earlier defers.
	defer func() { stopServe(); <-served }()

	fmt.Fprintf(out, "applink demo: a simulated Jira (%s) and the applink web service, on this machine only.\n\n", flavor)
	fmt.Fprintf(out, "Simulated Jira   %s\n", jiraURL)
	fmt.Fprintf(out, "  service account  %-12s password %s   (the account that should approve)\n", demoServiceAccount, svcPass)
	fmt.Fprintf(out, "  personal admin   %-12s password %s   (approving as this one is the classic mistake)\n\n", demoAdmin, adminPass)

	// The walk-through: the whole flow, once right and once wrong.
	fmt.Fprintf(out, "Walk-through of the handshake (the same code as 'applink authorize'):\n")
	if err := demoWalkthrough(ctx, out, jiraURL, cliKey, designated, svcPass, adminPass); err != nil {
		return err
	}

	fmt.Fprintf(out, "\nYour turn, in a browser:\n")
	fmt.Fprintf(out, "  1. Open %s/login and sign in with the admin token %s\n", publicURL, adminToken)
	fmt.Fprintf(out, "  2. Open the link %q, press \"Start approval\", and follow \"Go to Jira\" (or send the approval link).\n", demoLinkName)
	fmt.Fprintf(out, "  3. In Jira log in as %s to see success, or as %s to see the wrong-account warning.\n", demoServiceAccount, demoAdmin)
	fmt.Fprintf(out, "\nOr in a terminal:\n  applink authorize --jira-url %s --key-dir %s --consumer-key %s --service-account %s --out %s\n",
		jiraURL, keyDir, demoCLIConsumer, designated, filepath.Join(o.data, "token.json"))
	fmt.Fprintf(out, "\nData and logs: %s\n", o.data)
	if !o.once {
		fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
		select {
		case <-ctx.Done():
		case err := <-served:
			served <- err // for the deferred wait
			return err
		}
	}
	return nil
}

// demoWalkthrough runs the handshake twice against the simulated Jira: the
// service account approves, then the personal admin does, and prints what
// applink says each time.
func demoWalkthrough(ctx context.Context, out io.Writer, jiraURL string, key *rsa.PrivateKey, designated, svcPass, adminPass string) error {
	consumer, err := oauth.NewConsumer(jiraURL, demoCLIConsumer, key)
	if err != nil {
		return err
	}
	browser := &jiratest.Browser{}
	for _, who := range []struct{ user, pass string }{{demoServiceAccount, svcPass}, {demoAdmin, adminPass}} {
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
		res, err := consumer.Complete(ctx, rt, verifier, designated)
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
		fmt.Fprintf(out, "    identity check     ok: the designated service account %q\n", designated)
		rep, err := consumer.CheckPermissions(ctx, res.AccessToken.Token, demoProject, oauth.SyncPermissions)
		if err != nil {
			return err
		}
		if rep.OK() {
			fmt.Fprintf(out, "    permissions        ok: all %d sync permissions on project %s\n", len(rep.Have), demoProject)
		} else {
			fmt.Fprintf(out, "    permissions        missing on %s: %s\n", demoProject, strings.Join(rep.Missing, ", "))
		}
	}
	return nil
}

// randomPassword makes a short readable password for a demo account.
func randomPassword() string {
	const letters = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(letters[int(c)%len(letters)])
	}
	return sb.String()
}
