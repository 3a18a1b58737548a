package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// What the browser test looks for on the pages, in one place: when the
// templates (server/templates, oauth/jiratest/templates) change, change
// these. They are ids, roles, classes and short headings, not sentences.
const (
	// Every page.
	selH1     = "main h1"
	selAlert  = `[role="alert"]`  // a warning or an error
	selStatus = `[role="status"]` // a success message

	// applink: sign-in.
	selLoginToken  = "#token" // the admin token field, focused on arrival
	h1Login        = "Sign in"
	selLoginButton = `form[action="/login"] button[type="submit"]`
	selLoginOIDC   = `form[action="/oidc/login"]` // only with OIDC configured, which the demo is not

	// applink: the dashboard.
	h1Dashboard      = "Links"
	selDashLinkName  = `a.link-name[href="/links/` + demoLinkName + `"]`
	selDashLink      = `table.links ` + selDashLinkName
	selDashRow       = `table.links tr:has(` + selDashLinkName + `)`
	selDashNotes     = selDashRow + ` + tr.notes`                                    // the row under it with the link's warnings
	selDashWarning   = selDashNotes + ` .alert.danger[data-notice="wrong_approver"]` // "approved ... not by the service account"
	selMismatchBadge = `.badge.danger`                                               // "Wrong account"
	selMatchMark     = `.badge.success`                                              // "Authorized": the token acts as the service account
	selStateBadge    = `.badge.`                                                     // + a badge severity: neutral (new), info (awaiting approval), success, warning, danger
	selLinkBadge     = `.page-head .badge.`                                          // + a badge severity, on the link page
	selDashBadge     = selDashRow + ` ` + selStateBadge                              // + a badge severity, on the dashboard
	selLinkApprover  = `dl.facts > dt:first-of-type + dd`                            // "Approved by" of the access token on the link page
	selLinkWarning   = `.alert.danger.big[data-notice="wrong_approver"]`             // the link page's wrong-account notice
	selLinkError     = `.alert.info[data-notice="denied"]`                           // a later denial, under a kept token
	selProgressSteps = `ol.steps > li.step`                                          // the Progress section's steps
	selConsumerKey   = `#cfg-consumer-key`                                           // the Consumer Key of the Application Link form
	selCopyKey       = `button[data-copy="cfg-consumer-key"]`                        // its Copy button, shown by app.js
	selIncoming      = `dl#incoming`                                                 // the Incoming Authentication fields
	selOutgoing      = `dl#outgoing`                                                 // the outgoing fields of the newer Data Center form
	selStartApproval = `#approval form[action$="/handshakes"] button[type="submit"]`
	selGoToJira      = `#approval a#go-to-jira.button[href]:not(.primary)` // "Go to Jira", a secondary button
	selApprovalURL   = `#approval-url`                                     // the approval link to send
	selCopyApproval  = `#approval button#copy-approval.primary`            // its Copy button: the primary action
	selPrimary       = `#approval .primary`                                // every primary control of the approval card
	selBeforeJira    = `#go-to-jira-note`                                  // the private-window reminder next to "Go to Jira"
	selAnnounce      = `#announce[aria-live="polite"]`                     // the live region that says what was copied
	announceApproval = "Copied the approval link"
	h1Progress       = "Progress"
	selH2            = "h2"
	selStepState     = selProgressSteps + ` .step-state` // a step's state in words
	h1NewLink        = "New link"
	selNewLinkName   = `form[action="/links"] #name`
	selNewLinkSubmit = `form[action="/links"] button[type="submit"]`
	selLinkHead      = `.page-head p.muted`                                   // the link page's Jira and service account
	selEditLink      = `.page-head a#edit[href$="/edit"]`                     // "Edit these settings"
	selEditForm      = `form[action$="/edit"]`                                // the edit form
	selEditSubmit    = selEditForm + ` button[type="submit"]`                 // "Save changes"
	selEditCAs       = selEditForm + ` details:has(#ca_pem) > summary`        // opens the CA certificates
	selLinkNotice    = `.page-head ~ .alert[data-notice=`                     // + a notice code and "]", on the link page
	selKeptNotice    = `.alert.danger.big[data-notice="verified_token_kept"]` // the service account's token kept over a later approval
	selProjects      = `#permissions #projects`                               // the projects to check
	selCheckPerms    = `#permissions form[action$="/permissions"] button[type="submit"]`
	selPermsTable    = `#permissions-table`
	selPermsStale    = `#permissions [data-stale="true"]` // the audit was made with an earlier token
	selErrorCode     = `main p.small > code`              // the error page's code
	codeGone         = "handshake_unknown"                // the approval link of an approval that is over
	startApproval    = "Start approval"                   // oauth.StartApproval, the one action that starts an approval
	// triesLeft is the wording of a count of tries, which no page shows.
	triesLeft = `(?i)tries left|attempts? left|tries remaining`

	// applink: the approval page (no sign-in).
	selApproveJiraSite = `dl.facts dd.url`
	selApproveAccount  = `dl.facts strong.account`
	selApproveWarning  = `.alert.danger h2` // "Log in as svc-jira, not as yourself"
	selContinueToJira  = `.actions a.button.primary[href]`

	// applink: the callback page.
	selCallbackSuccess = `.alert.success[role="status"] h2` // "✓ Approved by ..."
	selCallbackWrong   = `.alert.danger[role="alert"]`      // the wrong-account warning
	selCallbackWrongH2 = selCallbackWrong + ` h2`
	selCallbackError   = `.alert.error[role="alert"]` // the diagnosis
	selCallbackCode    = selCallbackError + ` code`   // its error code
	h1Denied           = "Access denied"
	h1Kept             = "Not used: the service account's token was kept"
	selCallbackKept    = selCallbackError + `[data-error="verified_token_kept"]` // why the new token is not used
	codeDenied         = "denied"                                                // oauth.CodeDenied
	// wrongAccountAdvice is the word the wrong-account warning must hold:
	// it tells to approve again from a private window.
	wrongAccountAdvice = "private"

	// The simulated Jira (oauth/jiratest/templates).
	h1JiraLogin      = "Log in to Jira"
	h1JiraApprove    = "Welcome to Jira"
	selJiraUser      = "#login-form-username"
	selJiraPass      = "#login-form-password"
	selJiraLogIn     = "#login-form-submit"
	selJiraAllow     = "#approve"
	selJiraDeny      = "#deny"
	selJiraWho       = "#current-user" // data-username is who is logged in
	selPageSaysExtra = "#login-error, #jira-message"
)

const (
	// chromiumPath is Debian's Chromium (apt-get install chromium).
	chromiumPath = "/usr/bin/chromium"
	// desktopWidth and desktopHeight are the browser window's size.
	desktopWidth, desktopHeight = 1200, 900
	// shotWidth is the width of the screenshots saved into docs/.
	shotWidth = 960
	// narrowWidth is a phone's width: every page is also checked at it
	// for sideways scrolling.
	narrowWidth = 390
	// strictNarrowWidth makes a page that scrolls sideways at narrowWidth
	// fail the test; false would only log it (with its widths and the
	// widest elements).
	strictNarrowWidth = true
	// waitTimeout bounds every wait for a page, an element or an event:
	// a page that is not there by then is broken.
	waitTimeout = 15 * time.Second
	// maxTabs is how many Tab presses may separate two controls in the
	// keyboard walk-through.
	maxTabs = 12
)

// updateScreenshots (or APPLINK_SCREENSHOTS=1) saves screenshots of the
// main pages into docs/:
//
//	go test ./cmd/applink -run TestBrowser -args -update-screenshots
var updateScreenshots = flag.Bool("update-screenshots", false, "TestBrowserDemo: save screenshots of the main pages into docs/")

// shotClips ends a screenshot below an element, to keep a long page's
// picture under about 300 KB: the link page's down to its Incoming
// Authentication fields, the kept token's down to its progress.
var shotClips = map[string]string{"link": selIncoming, "kept": selProgressSteps + ":last-child"}

// docsDir is the repository's docs folder, from this package's folder.
var docsDir = filepath.Join("..", "..", "docs")

// markWriter is a concurrency-safe buffer that closes ready once mark has
// been written at the start of a line.
type markWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	mark  string
	ready chan struct{}
	seen  bool
}

func newMarkWriter(mark string) *markWriter {
	return &markWriter{mark: mark, ready: make(chan struct{})}
}

func (w *markWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && strings.Contains("\n"+w.buf.String(), "\n"+w.mark+"\n") {
		w.seen = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *markWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// findChromium returns the browser, or why there is none.
func findChromium() (string, error) {
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New(chromiumPath + " is missing (apt-get install chromium)")
}

// demoInfo is what `applink demo` prints for a person to follow.
type demoInfo struct {
	appURL, jiraURL, adminToken, svcPass, adminPass string
}

// parseDemoOutput reads the web UI, the simulated Jira, the admin token
// and both users' passwords from the demo's standard output.
func parseDemoOutput(out string) (demoInfo, error) {
	find := func(expr string) string {
		m := regexp.MustCompile(`(?m)` + expr).FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		return m[1]
	}
	d := demoInfo{
		jiraURL:    find(`^Simulated Jira\s+(http://\S+)$`),
		svcPass:    find(`^\s+service account\s+` + regexp.QuoteMeta(demoServiceAccount) + `\s+password (\S+)`),
		adminPass:  find(`^\s+personal admin\s+` + regexp.QuoteMeta(demoAdmin) + `\s+password (\S+)`),
		appURL:     find(`Open (http://\S+)/login and sign in`),
		adminToken: find(`sign in with the admin token (\S+)$`),
	}
	if d.jiraURL == "" || d.svcPass == "" || d.adminPass == "" || d.appURL == "" || d.adminToken == "" {
		return d, errors.New("the demo's output lacks the web UI, Jira URL, admin token or a password")
	}
	return d, nil
}

func TestParseDemoOutput(t *testing.T) {
	out := "applink demo: ...\n\nSimulated Jira   http://127.0.0.1:40001\n" +
		"  service account  svc-jira     password aaaa2222bb   (the account that should approve)\n" +
		"  personal admin   alex.admin   password cccc3333dd   (approving as this one is the classic mistake)\n\n" +
		"  1. Open http://127.0.0.1:40002/login and sign in with the admin token tok_en-1\n"
	got, err := parseDemoOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	want := demoInfo{appURL: "http://127.0.0.1:40002", jiraURL: "http://127.0.0.1:40001",
		adminToken: "tok_en-1", svcPass: "aaaa2222bb", adminPass: "cccc3333dd"}
	if got != want {
		t.Errorf("parseDemoOutput = %+v, want %+v", got, want)
	}
	if _, err := parseDemoOutput(strings.Replace(out, "admin token", "token", 1)); err == nil {
		t.Error("output without the admin token: no error")
	}
}

// startDemo runs `applink demo` in-process until the test ends and returns
// what it printed for a person to follow.
func startDemo(t *testing.T, ctx context.Context) demoInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	stdout := newMarkWriter("Press Ctrl-C to stop.")
	stderr := newLineWriter()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo")},
			env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: stdout, stderr: stderr})
	}()
	select {
	case <-stdout.ready:
	case code := <-done:
		cancel()
		t.Fatalf("demo exited with %d before serving; stderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	case <-ctx.Done():
		cancel()
		<-done
		t.Fatalf("demo not serving in time; stdout:\n%s", stdout.String())
	}
	// Registered after t.TempDir, so it runs first: the demo stops before
	// its folder goes.
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("demo exit = %d after stop, want 0; stderr:\n%s", code, stderr.String())
		}
	})
	info, err := parseDemoOutput(stdout.String())
	if err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	return info
}

// TestBrowserDemo follows `applink demo` in a real browser: Debian's
// Chromium, driven through the DevTools protocol by chromedp. It catches
// what an HTTP-level test cannot: scripts, Content-Security-Policy
// violations, requests to other hosts, keyboard use, accessible names, and
// the pages as rendered, at a desktop's width and at a phone's.
func TestBrowserDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	chromium, err := findChromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the browser test, but %v", err)
		}
		t.Skipf("browser test skipped: %v", err)
	}
	// A bound, not a speed target: the walk-through takes about 20 s on an
	// idle machine and several times that on a loaded one.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	info := startDemo(t, ctx)

	start := time.Now()
	b := newBrowserRun(t, ctx, chromium, info)
	defer b.close()
	b.walk()
	t.Logf("browser walk-through took %s", time.Since(start).Round(100*time.Millisecond))
}

// browserRun is one walk through the demo: the browser, what it must
// never see, and what the steps found.
type browserRun struct {
	t       *testing.T
	info    demoInfo
	allowed map[string]bool // the origins of the two loopback servers
	redact  *strings.Replacer
	shots   bool

	browserCtx context.Context
	closeAll   []func()
	guards     sync.WaitGroup

	mu       sync.Mutex
	step     string
	problems []string         // what must never happen, as it happened
	expected []*regexp.Regexp // console errors a step announced, each allowed once
	consumed chan struct{}    // an expected console error came
	last     *window          // the window of the latest action, for a failure's screenshot
	narrow   []string         // pages that scroll sideways at narrowWidth
}

// window is a private browser window: a browser context of its own (no
// cookies shared with another window) with one tab.
type window struct {
	label  string
	ctx    context.Context
	cancel context.CancelFunc
}

func newBrowserRun(t *testing.T, ctx context.Context, chromium string, info demoInfo) *browserRun {
	b := &browserRun{
		t:        t,
		info:     info,
		allowed:  map[string]bool{},
		consumed: make(chan struct{}, 1),
		redact: strings.NewReplacer(info.adminToken, "[admin token]", info.svcPass, "[svc-jira password]",
			info.adminPass, "[alex.admin password]"),
		shots: *updateScreenshots || os.Getenv("APPLINK_SCREENSHOTS") == "1",
	}
	for _, u := range []string{info.appURL, info.jiraURL} {
		b.allowed[origin(u)] = true
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	b.closeAll = []func(){cancelAlloc, cancelBrowser}
	if err := chromedp.Do(browserCtx); err != nil {
		b.close()
		t.Fatalf("start %s: %v", chromium, err)
	}
	b.browserCtx = browserCtx
	if v, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{}); err == nil {
		t.Logf("browser: %s", v.Product)
	}
	return b
}

// close stops the browser and waits until its watchers are done.
func (b *browserRun) close() {
	for i := len(b.closeAll) - 1; i >= 0; i-- {
		b.closeAll[i]()
	}
	b.guards.Wait()
}

// origin is scheme://host:port of u.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Scheme + "://" + p.Host
}

// problem records something that must never happen.
func (b *browserRun) problem(label, format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf("[%s] %s: ", b.step, label)+fmt.Sprintf(format, args...))
}

// consoleError records a console error, unless the step expected it.
func (b *browserRun) consoleError(label, where, text string) {
	b.mu.Lock()
	for i, re := range b.expected {
		if re.MatchString(text) {
			b.expected = append(b.expected[:i], b.expected[i+1:]...)
			b.mu.Unlock()
			select {
			case b.consumed <- struct{}{}:
			default:
			}
			return
		}
	}
	b.mu.Unlock()
	b.problem(label, "console error on %s: %s", where, text)
}

// listener watches one window's events, in the order the browser sent
// them: uncaught exceptions, console errors (a Content-Security-Policy
// violation is one) and 5xx answers. It runs in the tab's event loop: it
// must return fast and send no command.
func (b *browserRun) listener(label string) func(ev any) {
	return func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			b.problem(label, "uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					if len(a.Value) > 0 {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				b.consoleError(label, "a script", strings.Join(parts, " "))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				b.consoleError(label, ev.Entry.URL, ev.Entry.Text)
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 500 {
				b.problem(label, "%d from %s", ev.Response.Status, ev.Response.URL)
			}
		}
	}
}

// guard lets requests to the two loopback servers through and refuses,
// and records, every other.
func (b *browserRun) guard(ctx context.Context, label string, paused iter.Seq2[fetch.EventRequestPaused, error]) {
	defer b.guards.Done()
	for ev, err := range paused {
		if err != nil {
			return
		}
		u := ev.Request.URL
		if b.allowed[origin(u)] {
			_, err = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		} else {
			p, _ := url.Parse(u)
			where := u
			if p != nil {
				where = origin(u) + p.Path
			}
			b.problem(label, "request to a foreign host refused: %s", where)
			_, err = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
		if err != nil && ctx.Err() == nil {
			b.problem(label, "request interception: %v", err)
		}
	}
}

// newWindow opens a private window that refuses every request to another
// host; with clipboard, pages of applink may read and write the clipboard.
func (b *browserRun) newWindow(label string, clipboard bool) *window {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.browserCtx, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.listener(label)))
	w := &window{label: label, ctx: ctx, cancel: cancel}
	b.closeAll = append(b.closeAll, cancel)
	paused := chromedp.Events(ctx, fetch.RequestPaused) // opens the tab
	b.guards.Add(1)
	go b.guard(ctx, label, paused)
	b.do(w, "set the window up", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
			return err
		}
		// Headless windows are not focused; the clipboard and focus
		// events need a focused page.
		_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	if clipboard {
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission:       &browser.PermissionDescriptor{Name: name},
				Setting:          browser.PermissionSettingGranted,
				Origin:           origin(b.info.appURL),
				BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
			})
			if err != nil {
				b.t.Fatalf("grant %s: %v", name, err)
			}
		}
	}
	return w
}

// closeWindow closes w and its browser context.
func (b *browserRun) closeWindow(w *window) {
	w.cancel()
	if b.last == w {
		b.last = nil
	}
}

// step runs one step of the walk-through; it fails the test when the
// browser saw anything it must not, or a console error the step announced
// did not come.
func (b *browserRun) stepf(name string, fn func()) {
	b.t.Helper()
	b.mu.Lock()
	b.step, b.expected = name, nil
	b.mu.Unlock()
	start := time.Now()
	fn()
	b.mu.Lock()
	problems, expected := b.problems, b.expected
	b.problems = nil
	b.mu.Unlock()
	if len(problems) > 0 {
		b.fatalf("%s: the browser saw:\n  %s", name, strings.Join(problems, "\n  "))
	}
	if len(expected) > 0 {
		b.fatalf("%s: expected console errors did not appear: %v", name, expected)
	}
	b.t.Logf("ok: %s (%.1f s)", name, time.Since(start).Seconds())
}

// expect announces console errors the step will cause, each allowed once.
func (b *browserRun) expect(res ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, re := range res {
		b.expected = append(b.expected, regexp.MustCompile(re))
	}
}

// awaitExpected waits until every announced console error came.
func (b *browserRun) awaitExpected(what string) {
	b.t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		left := len(b.expected)
		b.mu.Unlock()
		if left == 0 {
			return
		}
		select {
		case <-b.consumed:
		case <-timer.C:
			b.fatalf("%s: the expected console error did not come within %s", what, waitTimeout)
		case <-b.browserCtx.Done():
			b.fatalf("%s: %v", what, b.browserCtx.Err())
		}
	}
}

// fatalf fails the test, without secrets, after a screenshot of the last
// window used (kept with go test -artifacts).
func (b *browserRun) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := b.redact.Replace(fmt.Sprintf(format, args...))
	if w := b.last; w != nil {
		ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil {
			file := filepath.Join(b.t.ArtifactDir(), "failure.png")
			if os.WriteFile(file, png, 0o644) == nil {
				msg += "\n(screenshot: " + file + "; kept with go test -artifacts)"
			}
		}
	}
	b.t.Fatal(msg)
}

// runIn runs one action in w within waitTimeout; on failure it says where
// the browser is and what that page says.
func runIn[T any](b *browserRun, w *window, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	b.last = w
	ctx, cancel := context.WithTimeout(w.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fatalf("%s: %v\n(the %s is on %s, which says %s)", what, err, w.label, b.location(w), b.pageSays(w))
	}
	return v
}

// do runs actions that return nothing, as runIn does.
func (b *browserRun) do(w *window, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	runIn(b, w, what, chromedp.Steps(actions...))
}

// location is w's address, for failure messages.
func (b *browserRun) location(w *window) string {
	ctx, cancel := context.WithTimeout(w.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "an unknown page"
	}
	return loc
}

// pageSays is the title and any alert or status of w's page, for failure
// messages.
func (b *browserRun) pageSays(w *window) string {
	ctx, cancel := context.WithTimeout(w.ctx, 2*time.Second)
	defer cancel()
	parts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll(%s)].map(e => e.innerText.replace(/\s+/g, " ").trim())`,
		jsString(strings.Join([]string{selH1, selAlert, selStatus, selPageSaysExtra}, ", ")))))
	if err != nil || len(parts) == 0 {
		return "nothing recognisable"
	}
	return fmt.Sprintf("%q", strings.Join(parts, " | "))
}

// waitJS waits until the JavaScript expression cond is true.
func waitJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond)(ctx, t)
		return err
	})
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// navigate opens u in w and waits until it has loaded.
func (b *browserRun) navigate(w *window, u string) {
	b.t.Helper()
	b.do(w, "open "+u, chromedp.Navigate(u))
}

// follow runs trigger (a click, a key) and waits for the page it leads to.
func (b *browserRun) follow(w *window, what string, trigger chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	return runIn(b, w, what, func(ctx context.Context, t *chromedp.Target) (*network.Response, error) {
		return chromedp.RunResponse(ctx, trigger)
	})
}

// visible waits until sel shows in w.
func (b *browserRun) visible(w *window, sel, what string) {
	b.t.Helper()
	b.do(w, what+" is not shown", chromedp.WaitVisible(chromedp.CSS(sel)))
}

// texts is the text of every element sel matches in w, now: pages are
// rendered on the server, so once a page has loaded the answer is final.
func (b *browserRun) texts(w *window, sel string) []string {
	b.t.Helper()
	return runIn(b, w, "read "+sel, chromedp.Evaluate[[]string](fmt.Sprintf(
		`[...document.querySelectorAll(%s)].map(e => e.innerText.replace(/\s+/g, " ").trim())`, jsString(sel))))
}

// text is the text of the one element sel matches; it fails when there is
// none.
func (b *browserRun) text(w *window, sel, what string) string {
	b.t.Helper()
	b.visible(w, sel, what)
	return b.texts(w, sel)[0]
}

// count is how many elements sel matches in w.
func (b *browserRun) count(w *window, sel string) int {
	b.t.Helper()
	return len(b.texts(w, sel))
}

// absent fails when w shows sel.
func (b *browserRun) absent(w *window, sel, what string) {
	b.t.Helper()
	if got := b.texts(w, sel); len(got) > 0 {
		b.fatalf("%s is shown on %s but should not be: %q", what, b.location(w), got)
	}
}

// heading checks that w's page title (h1) is want.
func (b *browserRun) heading(w *window, want string) {
	b.t.Helper()
	if got := b.text(w, selH1, fmt.Sprintf("the title %q", want)); got != want {
		b.fatalf("the page %s is titled %q, want %q", b.location(w), got, want)
	}
}

// contains fails unless got holds every one of wants.
func (b *browserRun) contains(what, got string, wants ...string) {
	b.t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			b.fatalf("%s does not mention %q: %q", what, want, got)
		}
	}
}

// attr is the attribute name of the first element sel matches.
func (b *browserRun) attr(w *window, sel, name string) string {
	b.t.Helper()
	b.visible(w, sel, sel)
	return runIn(b, w, "read "+sel+"'s "+name, chromedp.Evaluate[string](fmt.Sprintf(
		`document.querySelector(%s).getAttribute(%s) || ""`, jsString(sel), jsString(name))))
}

// checkPage checks the page w shows: accessible names and the narrow
// width; with screenshots on, shot names the file in docs/ (the picture
// ends below the element shotClips names for it, if any).
func (b *browserRun) checkPage(w *window, name, shot string) {
	b.t.Helper()
	b.checkNames(w, name)
	b.checkNarrow(w, name)
	if m := regexp.MustCompile(triesLeft).FindString(b.text(w, "body", "the page")); m != "" {
		b.fatalf("%s counts tries (%q): no page does", name, m)
	}
	if b.shots && shot != "" {
		clip := shotClips[shot]
		// At shotWidth, so that each picture stays small (PNG, 1x).
		png := runIn(b, w, "screenshot "+name, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(shotWidth, desktopHeight)(ctx, t); err != nil {
				return nil, err
			}
			defer func() {
				_, _ = cdp.Call(context.WithoutCancel(ctx), t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			}()
			if _, err := waitJS(fmt.Sprintf("window.innerWidth === %d", shotWidth))(ctx, t); err != nil {
				return nil, err
			}
			if clip == "" {
				return chromedp.FullScreenshot(100)(ctx, t)
			}
			// Down to the bottom of clip only.
			bottom, err := chromedp.Evaluate[float64](fmt.Sprintf(
				`document.querySelector(%s).getBoundingClientRect().bottom + window.scrollY + 16`, jsString(clip)))(ctx, t)
			if err != nil {
				return nil, err
			}
			res, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
				Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: new(true),
				Clip: &page.Viewport{Width: shotWidth, Height: bottom, Scale: 1}})
			return res.Data, err
		})
		b.do(w, "restore the desktop width", waitJS(fmt.Sprintf("window.innerWidth === %d", desktopWidth)))
		if err := os.MkdirAll(docsDir, 0o755); err != nil {
			b.t.Fatal(err)
		}
		file := filepath.Join(docsDir, shot+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s (%d KB)", file, len(png)/1024)
	}
}

// axString is an accessibility value as text.
func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal([]byte(v.Value), &s) != nil {
		return string(v.Value)
	}
	return s
}

// checkNames fails when a button or a link of w's page has no accessible
// name in Chromium's accessibility tree (what a screen reader reads).
func (b *browserRun) checkNames(w *window, page string) {
	b.t.Helper()
	type nameless struct{ role, html string }
	res := runIn(b, w, "read the accessibility tree of "+page, func(ctx context.Context, t *chromedp.Target) ([]nameless, error) {
		tree, err := cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return nil, err
		}
		var bad []nameless
		controls := 0
		copies := map[string]bool{}
		for _, n := range tree.Nodes {
			role := axString(n.Role)
			if n.Ignored || (role != "button" && role != "link") {
				continue
			}
			controls++
			name := strings.TrimSpace(axString(n.Name))
			// A Copy button names what it copies, and no two name the same.
			if role == "button" && strings.HasPrefix(name, "Copy") && (name == "Copy" || copies[name]) {
				name = ""
				role = "Copy button named like another (" + axString(n.Name) + ")"
			}
			copies[name] = true
			if name != "" {
				continue
			}
			html := "?"
			if n.BackendDOMNodeID != 0 {
				if r, err := cdp.Call(ctx, t, dom.GetOuterHTML, dom.GetOuterHTMLParams{BackendNodeID: n.BackendDOMNodeID}); err == nil {
					html = r.OuterHTML
				}
			}
			bad = append(bad, nameless{role, html})
		}
		if controls == 0 {
			return nil, errors.New("no button or link in the accessibility tree: the check sees nothing")
		}
		return bad, nil
	})
	for _, n := range res {
		b.t.Errorf("%s: a %s without an accessible name of its own: %.200s", page, n.role, n.html)
	}
}

// checkNarrow shows w's page at narrowWidth and checks that it does not
// scroll sideways (document.documentElement.scrollWidth <= clientWidth).
func (b *browserRun) checkNarrow(w *window, page string) {
	b.t.Helper()
	type widths struct {
		Scroll int      `json:"scroll"`
		Client int      `json:"client"`
		Widest []string `json:"widest"`
	}
	got := runIn(b, w, "check "+page+" at a narrow width", func(ctx context.Context, t *chromedp.Target) (widths, error) {
		if _, err := chromedp.EmulateViewport(narrowWidth, desktopHeight)(ctx, t); err != nil {
			return widths{}, err
		}
		defer func() {
			_, _ = cdp.Call(context.WithoutCancel(ctx), t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		}()
		if _, err := waitJS(fmt.Sprintf("window.innerWidth === %d", narrowWidth))(ctx, t); err != nil {
			return widths{}, fmt.Errorf("the page did not take the narrow width: %w", err)
		}
		// The outermost elements that stick out on the right, for whoever
		// fixes the stylesheet.
		return chromedp.Evaluate[widths](`(() => {
			const d = document.documentElement, cw = d.clientWidth, widest = [];
			const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
				(e.classList.length ? "." + [...e.classList].join(".") : "");
			const path = e => (e.id || e.classList.length || !e.parentElement) ? name(e) : path(e.parentElement) + " > " + name(e);
			const out = e => e.getBoundingClientRect().right > cw + 0.5;
			for (const e of document.body.querySelectorAll("*")) {
				if (widest.length < 5 && out(e) && !(e.parentElement && e.parentElement !== document.body && out(e.parentElement))) {
					widest.push(path(e) + " (" + Math.round(e.getBoundingClientRect().right) + " px)");
				}
			}
			return {scroll: d.scrollWidth, client: cw, widest};
		})()`)(ctx, t)
	})
	// Back at the desktop width before the next action.
	b.do(w, "restore the desktop width", waitJS(fmt.Sprintf("window.innerWidth === %d", desktopWidth)))
	if got.Scroll <= got.Client {
		return
	}
	msg := fmt.Sprintf("%s scrolls sideways at %d px: scrollWidth %d > clientWidth %d; sticking out: %s",
		page, narrowWidth, got.Scroll, got.Client, strings.Join(got.Widest, ", "))
	if strictNarrowWidth {
		b.t.Error(msg)
		return
	}
	b.t.Log("not yet failing (strictNarrowWidth is false): " + msg)
	b.mu.Lock()
	b.narrow = append(b.narrow, fmt.Sprintf("%s (%d > %d)", page, got.Scroll, got.Client))
	b.mu.Unlock()
}

// focus describes w's focused element: what it is and whether sel
// matches it.
type focus struct {
	Desc    string `json:"desc"`
	Matches bool   `json:"matches"`
	Visible bool   `json:"visible"`
	Body    bool   `json:"body"`
}

func (b *browserRun) focused(w *window, sel string) focus {
	b.t.Helper()
	return runIn(b, w, "read the focus", chromedp.Evaluate[focus](fmt.Sprintf(`(() => {
		const e = document.activeElement;
		if (!e || e === document.body) return {desc: "the page itself", matches: false, visible: false, body: true};
		const r = e.getBoundingClientRect();
		const text = (e.innerText || e.value || "").replace(/\s+/g, " ").trim().slice(0, 40);
		return {desc: e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (text ? " " + JSON.stringify(text) : ""),
			matches: e.matches(%s), visible: r.width > 0 && r.height > 0, body: false};
	})()`, jsString(sel))))
}

// tabTo presses Tab until the element sel matches has the focus, at most
// maxTabs times; each press must move the focus to a visible element.
func (b *browserRun) tabTo(w *window, sel, what string) {
	b.t.Helper()
	var path []string
	for range maxTabs {
		b.do(w, "press Tab", chromedp.KeyEvent(kb.Tab))
		f := b.focused(w, sel)
		path = append(path, f.Desc)
		if f.Body {
			b.fatalf("Tab towards %s: the focus left the page's controls after %s", what, strings.Join(path, " → "))
		}
		if !f.Visible {
			b.fatalf("Tab towards %s: the focus went to an invisible element: %s", what, strings.Join(path, " → "))
		}
		if f.Matches {
			b.t.Logf("keyboard: %s reached with Tab: %s", what, strings.Join(path, " → "))
			return
		}
	}
	b.fatalf("Tab: %s not reached in %d presses: %s", what, maxTabs, strings.Join(path, " → "))
}

// clipboardHolds waits until w's clipboard holds want (what).
func (b *browserRun) clipboardHolds(w *window, want, what string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(w.ctx, waitTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`async want => (await navigator.clipboard.readText()) === want`,
		chromedp.WithPollingArgs(want), chromedp.WithPollingTimeout(waitTimeout))); err != nil {
		got := runIn(b, w, "read the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		b.fatalf("after Copy the clipboard holds %q, want %s %q (%v)", got, what, want, err)
	}
}

// announced checks that the page's live region, which screen readers read
// out when it changes, says want.
func (b *browserRun) announced(w *window, want string) {
	b.t.Helper()
	if got := b.texts(w, selAnnounce); len(got) != 1 || got[0] != want {
		b.fatalf("the live region says %q, want %q", got, want)
	}
}

// errorInView checks that after a refused form the focus is on field,
// which is marked invalid and described by the error msg, and that both
// are in the viewport.
func (b *browserRun) errorInView(w *window, field, msg, what string) {
	b.t.Helper()
	// app.js moves the focus once the page has loaded.
	ctx, cancel := context.WithTimeout(w.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, waitJS(fmt.Sprintf("document.activeElement && document.activeElement.matches(%s)", jsString(field)))); err != nil {
		b.fatalf("%s: the focus is on %s, not on the field %s (%v)", what, b.focused(w, field).Desc, field, err)
	}
	type state struct {
		Invalid   string `json:"invalid"`
		Described string `json:"described"`
		InView    bool   `json:"inView"`
	}
	got := runIn(b, w, "read "+field, chromedp.Evaluate[state](fmt.Sprintf(`(() => {
		const f = document.querySelector(%s), m = document.querySelector(%s);
		const in_ = e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; };
		return {invalid: f.getAttribute("aria-invalid") || "", described: f.getAttribute("aria-describedby") || "",
			inView: !!m && in_(f) && in_(m)};
	})()`, jsString(field), jsString(msg))))
	if got.Invalid != "true" || !slices.Contains(strings.Fields(got.Described), strings.TrimPrefix(msg, "#")) || !got.InView {
		b.fatalf("%s: %s has aria-invalid %q, aria-describedby %q (want %s), field and error in view: %v",
			what, field, got.Invalid, got.Described, msg, got.InView)
	}
}

// approval is what starting an approval gives.
type approval struct{ authorize, link string }

// readApproval reads "Go to Jira" and the approval link from the link
// page, once it shows them.
func (b *browserRun) readApproval(w *window) approval {
	b.t.Helper()
	b.visible(w, selGoToJira, `"Go to Jira"`)
	a := approval{authorize: b.attr(w, selGoToJira, "href")}
	if !strings.HasPrefix(a.authorize, b.info.jiraURL+"/plugins/servlet/oauth/authorize?oauth_token=") {
		b.fatalf(`"Go to Jira" leads to %s, not to the simulated Jira's authorize page`, a.authorize)
	}
	b.visible(w, selApprovalURL, "the approval link")
	a.link = runIn(b, w, "read the approval link", chromedp.Value(chromedp.CSS(selApprovalURL)))
	if !strings.HasPrefix(a.link, b.info.appURL+"/approve/") {
		b.fatalf("the approval link is %s, want %s/approve/...", a.link, b.info.appURL)
	}
	b.visible(w, selBeforeJira, `the private-window reminder next to "Go to Jira"`)
	b.contains("the reminder next to \"Go to Jira\"", b.text(w, selBeforeJira, "the reminder"), "private", demoServiceAccount)
	b.visible(w, selCopyApproval, "the Copy button of the approval link, the primary action")
	if n := b.count(w, selPrimary); n != 1 {
		b.fatalf("the approval card has %d primary controls, want 1 (Copy the approval link)", n)
	}
	return a
}

// startApproval presses the approval button on the link page with the
// mouse and waits for the page it leads back to.
func (b *browserRun) startApproval(w *window) approval {
	b.t.Helper()
	b.navigate(w, b.info.appURL+"/links/"+demoLinkName)
	b.absent(w, selGoToJira, `"Go to Jira" before an approval is started`)
	resp := b.follow(w, "press the approval button", chromedp.Click(chromedp.CSS(selStartApproval)))
	if !strings.HasPrefix(resp.URL, b.info.appURL+"/links/"+demoLinkName) {
		b.fatalf("the approval button led to %s, not back to the link page", resp.URL)
	}
	return b.readApproval(w)
}

// approveInJira opens an approval link in a new private window, checks the
// approval page, follows "Continue to Jira", logs in as user and presses
// button (selJiraAllow or selJiraDeny); it returns that window on
// applink's callback page.
func (b *browserRun) approveInJira(link, user, password, button, tag string, shot string) *window {
	b.t.Helper()
	w := b.newWindow("private window ("+user+")", false)
	b.navigate(w, link)
	b.visible(w, selH1, "the approval page's title")
	b.contains("the approval page's Jira site", b.text(w, selApproveJiraSite, "the Jira site"), b.info.jiraURL)
	if got := b.text(w, selApproveAccount, "the account to log in as"); got != demoServiceAccount {
		b.fatalf("the approval page says to log in as %q, want %q", got, demoServiceAccount)
	}
	b.contains("the approval page's warning", b.text(w, selApproveWarning, "the warning to log in as "+demoServiceAccount), demoServiceAccount)
	b.checkPage(w, "approval page ("+tag+")", shot)

	resp := b.follow(w, `follow "Continue to Jira"`, chromedp.Click(chromedp.CSS(selContinueToJira)))
	if !strings.HasPrefix(resp.URL, b.info.jiraURL+"/") {
		b.fatalf(`"Continue to Jira" led to %s, not to the simulated Jira`, resp.URL)
	}
	b.heading(w, h1JiraLogin)
	b.checkPage(w, "Jira's login page", "")
	b.do(w, "log in to Jira",
		chromedp.SendKeys(chromedp.CSS(selJiraUser), user),
		chromedp.SendKeys(chromedp.CSS(selJiraPass), password))
	b.follow(w, "press Log In", chromedp.Click(chromedp.CSS(selJiraLogIn)))
	b.heading(w, h1JiraApprove)
	if got := b.attr(w, selJiraWho, "data-username"); got != user {
		b.fatalf("Jira says %q is logged in, want %q", got, user)
	}
	b.checkPage(w, "Jira's approval page", "")
	resp = b.follow(w, "press "+button+" in Jira", chromedp.Click(chromedp.CSS(button)))
	if !strings.HasPrefix(resp.URL, b.info.appURL+"/oauth/callback?") {
		b.fatalf("Jira sent the browser to %s, not to applink's callback", resp.URL)
	}
	return w
}

// walk is the walk-through, step by step.
func (b *browserRun) walk() {
	app := b.info.appURL
	b.stepf("self-check: an inline script is refused by both sites' CSP and reported, a foreign request is refused", b.selfCheck)

	admin := b.newWindow("admin window", true)
	var first approval

	b.stepf("keyboard: sign in with the admin token, open the link, start an approval", func() {
		b.navigate(admin, app+"/login")
		b.heading(admin, h1Login)
		b.absent(admin, selLoginOIDC, "the company sign-in, which the demo does not configure")
		if f := b.focused(admin, selLoginToken); !f.Matches {
			b.fatalf("the sign-in page opens with the focus on %s, not on the admin token field", f.Desc)
		}
		b.checkPage(admin, "sign-in page", "")
		b.do(admin, "type a wrong token", chromedp.KeyEvent("not-the-token"))
		b.expect(`status of 401`)
		b.follow(admin, "press Enter to sign in with it", chromedp.KeyEvent(kb.Enter))
		b.awaitExpected("the 401 of the wrong token")
		b.errorInView(admin, selLoginToken, "#login-error", "the wrong token")
		b.checkPage(admin, "sign-in page, wrong token", "")
		b.do(admin, "type the admin token", chromedp.KeyEvent(b.info.adminToken))
		b.follow(admin, "press Enter to sign in", chromedp.KeyEvent(kb.Enter))
		b.heading(admin, h1Dashboard)
		b.visible(admin, selDashLink, "the link "+demoLinkName)
		b.visible(admin, selDashBadge+"neutral", "the dashboard's badge (new)")
		b.checkPage(admin, "dashboard", "")

		b.tabTo(admin, selDashLink, "the link "+demoLinkName)
		b.follow(admin, "press Enter on the link", chromedp.KeyEvent(kb.Enter))
		b.visible(admin, selConsumerKey, "the link page")
		b.contains("the link page's title", b.text(admin, selH1, "the link page's title"), demoLinkName)
		b.visible(admin, selLinkBadge+"neutral", "the link page's badge (new)")
		b.checkPage(admin, "link page", "")

		b.tabTo(admin, selStartApproval, "the approval button")
		b.follow(admin, "press Enter on the approval button", chromedp.KeyEvent(kb.Enter))
		first = b.readApproval(admin)
		b.visible(admin, selLinkBadge+"info", "the link page's badge (awaiting approval)")
		b.tabTo(admin, selApprovalURL, "the approval link")
		b.tabTo(admin, selCopyApproval, "Copy the approval link")
		b.do(admin, "write the clipboard", chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText("before the key")`, chromedp.EvalAwaitPromise))
		b.do(admin, "press Enter on Copy", chromedp.KeyEvent(kb.Enter))
		b.clipboardHolds(admin, first.link, "the approval link")
		b.announced(admin, announceApproval)
		b.tabTo(admin, selGoToJira, `"Go to Jira"`)
		b.checkPage(admin, "link page, approval started", "link")
	})

	b.stepf("link page: progress steps shown, Copy puts the consumer key on the clipboard", func() {
		if !slices.Contains(b.texts(admin, selH2), h1Progress) {
			b.fatalf("the link page has no %q section", h1Progress)
		}
		if n := b.count(admin, selProgressSteps); n < 3 {
			b.fatalf("the Progress section shows %d steps, want at least 3", n)
		}
		b.visible(admin, selProgressSteps, "the first progress step")
		if states := b.texts(admin, selStepState); len(states) == 0 || states[0] != "Done" {
			b.fatalf("the steps' states in words are %q, want the first to be Done", states)
		}
		// Incoming Authentication apart from the outgoing fields.
		cfg := b.texts(admin, selIncoming+", "+selOutgoing)
		if len(cfg) != 2 {
			b.fatalf("the configuration card has %d field lists, want incoming and outgoing", len(cfg))
		}
		b.contains("the Incoming Authentication fields", cfg[0], "Consumer Key", "Consumer Name", "Description",
			"Public Key", "Consumer Callback URL", "Execute as", "impersonation")
		b.contains("the outgoing fields", cfg[1], "Request Token URL", "Access Token URL", "Authorize URL", "Shared secret")
		if strings.Contains(cfg[0], "Request Token URL") {
			b.fatalf("the Incoming Authentication fields list the Request Token URL: %q", cfg[0])
		}
		key := b.text(admin, selConsumerKey, "the Consumer Key")
		if key == "" {
			b.fatalf("the Consumer Key is empty")
		}
		b.visible(admin, selCopyKey, "the Copy button of the Consumer Key (app.js shows it)")
		b.do(admin, "write the clipboard", chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText("before the click")`, chromedp.EvalAwaitPromise))
		b.do(admin, "press Copy", chromedp.Click(chromedp.CSS(selCopyKey)))
		b.clipboardHolds(admin, key, "the consumer key")
		b.announced(admin, "Copied the consumer key")
	})

	b.stepf("deny before any token: Denied, the approval link says it is over, the one next step is "+startApproval, func() {
		b.deny(first.link, "denied", "diagnosis")
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.visible(admin, selLinkBadge+"danger", "the link page's badge (denied)")
		if got := b.attr(admin, selLinkBadge+"danger", "data-state"); got != "denied" {
			b.fatalf("the link page's badge is of the state %q, want denied", got)
		}
		b.denialNext(admin)
		if got := b.texts(admin, "main .primary"); len(got) != 1 || got[0] != startApproval {
			b.fatalf("the link page's primary actions are %q, want only %q", got, startApproval)
		}
		b.checkPage(admin, "link page, denied", "")
	})

	var wrong approval
	b.stepf("wrong account: "+demoAdmin+" approves in a private window and the callback warns", func() {
		wrong = b.startApproval(admin)
		w := b.approveInJira(wrong.link, demoAdmin, b.info.adminPass, selJiraAllow, "wrong account", "approval")
		b.contains("the wrong-account warning's title", b.text(w, selCallbackWrongH2, "the wrong-account warning"), demoAdmin)
		b.contains("the wrong-account warning", b.text(w, selCallbackWrong, "the wrong-account warning"),
			demoAdmin, demoServiceAccount, wrongAccountAdvice)
		b.absent(w, selStatus, "a success message")
		b.checkPage(w, "callback page, wrong account", "wrong-account")
		// A reload shows the same result, not "Not found".
		want := b.text(w, selCallbackWrong, "the wrong-account warning")
		if resp := b.follow(w, "reload the result page", chromedp.Reload()); resp.Status != 200 {
			b.fatalf("the reloaded result page answers %d, want 200", resp.Status)
		}
		if got := b.text(w, selCallbackWrong, "the wrong-account warning after a reload"); got != want {
			b.fatalf("after a reload the warning says %q, want %q", got, want)
		}
		b.closeWindow(w)
	})

	b.stepf("admin sees the warning and who approved", func() {
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.contains("the link page's warning", b.text(admin, selLinkWarning, "the link page's wrong-account warning"),
			demoAdmin, demoServiceAccount)
		b.contains(`"Approved by"`, b.text(admin, selLinkApprover, `"Approved by"`), demoAdmin)
		b.visible(admin, selLinkBadge+"danger", "the link page's badge (wrong account)")
		b.checkPage(admin, "link page, wrong account", "")
		b.navigate(admin, app+"/")
		b.contains("the dashboard's row", b.text(admin, selDashRow, "the dashboard's row of "+demoLinkName), demoAdmin)
		b.visible(admin, selDashRow+" "+selMismatchBadge, `the dashboard's "not the service account" badge`)
		b.absent(admin, selDashRow+" "+selMatchMark, "the service account's ✓")
		b.visible(admin, selDashWarning, "the dashboard's wrong-account warning")
		b.checkPage(admin, "dashboard, wrong account", "dashboard")
	})

	b.stepf("permissions: the audit runs with the token kept now", func() {
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.do(admin, "type the project", chromedp.SetValue(chromedp.CSS(selProjects), demoProject))
		b.follow(admin, "press Check permissions", chromedp.Click(chromedp.CSS(selCheckPerms)))
		b.visible(admin, selPermsTable+` tr[data-project="`+demoProject+`"]`, "the audit of "+demoProject)
		b.absent(admin, selPermsStale, "the audit marked as made with an earlier token")
		b.checkPage(admin, "link page, permissions checked", "")
	})

	b.stepf("service account: "+demoServiceAccount+" approves, the callback says success, the warning is gone", func() {
		second := b.startApproval(admin)
		if second.link == wrong.link || second.authorize == wrong.authorize {
			b.fatalf("a new approval reused the previous approval link or request token")
		}
		w := b.approveInJira(second.link, demoServiceAccount, b.info.svcPass, selJiraAllow, "service account", "")
		b.contains("the success message", b.text(w, selCallbackSuccess, "the success message"), demoServiceAccount)
		b.absent(w, selAlert, "a warning or error")
		b.checkPage(w, "callback page, success", "success")
		b.closeWindow(w)

		b.navigate(admin, app+"/")
		b.visible(admin, selDashBadge+"success", "the dashboard's badge (authorized)")
		b.contains("the dashboard's row", b.text(admin, selDashRow, "the dashboard's row of "+demoLinkName), demoServiceAccount)
		b.visible(admin, selDashRow+" "+selMatchMark, "the service account's ✓")
		b.absent(admin, selMismatchBadge, `the "not the service account" badge`)
		b.absent(admin, selDashWarning, "the wrong-account warning")
		b.checkPage(admin, "dashboard, authorized", "")
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.absent(admin, selAlert, "a warning or error on the link page")
		b.visible(admin, selPermsStale, "the audit marked as made with the previous token")
	})

	b.stepf("re-approval by "+demoAdmin+": the service account's token is kept, the new one is not used", func() {
		again := b.startApproval(admin)
		// The callback answers a token it does not use with 403.
		b.expect(`status of 403`)
		w := b.approveInJira(again.link, demoAdmin, b.info.adminPass, selJiraAllow, "token kept", "")
		b.awaitExpected("the 403 of the token not used")
		b.heading(w, h1Kept)
		b.contains("why the new token is not used", b.text(w, selCallbackKept, "why the new token is not used"),
			demoAdmin, demoServiceAccount)
		b.absent(w, selStatus, "a success message")
		b.checkPage(w, "callback page, token kept", "")
		b.closeWindow(w)

		b.navigate(admin, app+"/links/"+demoLinkName)
		b.visible(admin, selLinkBadge+"success", "the link page's badge (authorized: the service account's token is kept)")
		b.contains("the kept-token notice", b.text(admin, selKeptNotice, "the notice that the service account's token was kept"),
			demoAdmin, demoServiceAccount)
		b.contains("the kept token's approver", b.text(admin, selLinkApprover, `"Approved by"`), demoServiceAccount)
		b.absent(admin, selLinkWarning, "the wrong-account warning")
		b.checkPage(admin, "link page, token kept", "kept")
	})

	b.stepf("deny with a token kept: the token stays, the denial is a note with its next step", func() {
		third := b.startApproval(admin)
		b.deny(third.link, "denied, token kept", "")
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.visible(admin, selLinkError, "the denial under the kept token")
		b.denialNext(admin)
		// A link that keeps a token approved earlier stays authorized.
		b.visible(admin, selLinkBadge+"success", "the link page's badge (authorized: the earlier token is kept)")
		b.contains("the kept token's approver", b.text(admin, selLinkApprover, `"Approved by"`), demoServiceAccount)
		b.checkPage(admin, "link page, denied, token kept", "")
	})

	b.stepf("edit: opened by keyboard, the refused fields shown at once, the change saved", func() {
		account := demoServiceAccount + "@example.com" // the service account, by its email
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.tabTo(admin, selEditLink, `"Edit these settings"`)
		b.follow(admin, `press Enter on "Edit these settings"`, chromedp.KeyEvent(kb.Enter))
		b.visible(admin, selEditForm, "the edit form")
		b.contains("the edit form's title", b.text(admin, selH1, "the edit form's title"), demoLinkName)
		b.checkPage(admin, "edit form", "")
		b.do(admin, "change the service account, type a Jira URL of another scheme and a certificate that is none",
			chromedp.SetValue(chromedp.CSS("#service_account"), account),
			chromedp.SetValue(chromedp.CSS("#jira_url"), "ftp://jira.example.com"),
			chromedp.Click(chromedp.CSS(selEditCAs)),
			chromedp.SendKeys(chromedp.CSS("#ca_pem"), "not a certificate"))
		b.expect(`status of 400`)
		b.follow(admin, "press Save changes", chromedp.Click(chromedp.CSS(selEditSubmit)))
		b.awaitExpected("the 400 of the refused changes")
		b.errorInView(admin, "#jira_url", "#jira_url-error", "the Jira URL refused")
		b.visible(admin, "#ca_pem-error", "the certificates refused with the Jira URL")
		if got := b.attr(admin, "#ca_pem", "aria-invalid"); got != "true" {
			b.fatalf("the refused certificates' field has aria-invalid %q, want true", got)
		}
		if got := runIn(b, admin, "read the service account", chromedp.Value(chromedp.CSS("#service_account"))); got != account {
			b.fatalf("the refused form shows the service account %q, want what was typed, %q", got, account)
		}
		b.checkPage(admin, "edit form, refused", "edit")
		// Nothing is saved: the link page still names the service account.
		saved := runIn(b, admin, "read the link page's settings", chromedp.Evaluate[string](fmt.Sprintf(
			`fetch("/links/%s").then(r => r.text()).then(h => new DOMParser().parseFromString(h, "text/html").querySelector(%s).textContent)`,
			demoLinkName, jsString(selLinkHead)), chromedp.EvalAwaitPromise))
		if !strings.Contains(saved, demoServiceAccount) || strings.Contains(saved, account) {
			b.fatalf("the refused changes were saved, in part: the link page says %q", saved)
		}
		b.do(admin, "correct the Jira URL, empty the certificates",
			chromedp.SetValue(chromedp.CSS("#jira_url"), b.info.jiraURL),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#ca_pem").value = ""`))
		resp := b.follow(admin, "press Save changes", chromedp.Click(chromedp.CSS(selEditSubmit)))
		if !strings.HasPrefix(resp.URL, app+"/links/"+demoLinkName) || strings.Contains(resp.URL, "/edit") {
			b.fatalf("saving led to %s, not to the link page", resp.URL)
		}
		b.contains("the link page's settings", b.text(admin, selLinkHead, "the link's settings"), account, b.info.jiraURL)
		// The token is judged again against the new service account: on
		// Jira Server an email names no one account, so the approver is
		// not confirmed.
		b.visible(admin, selLinkBadge+"warning", "the link page's badge (approver not confirmed)")
		b.visible(admin, selLinkNotice+`"approver_unverifiable"]`, "the notice that the approver is not confirmed")
		b.checkPage(admin, "link page, edited", "")
	})

	b.stepf("errors where the view is: a wrong delete confirmation, the new-link form, a missing page", func() {
		b.navigate(admin, app+"/links/"+demoLinkName)
		b.do(admin, "type a wrong name to delete", chromedp.SendKeys(chromedp.CSS("#confirm"), "nope"))
		b.expect(`status of 400`)
		b.follow(admin, "press Enter to delete", chromedp.KeyEvent(kb.Enter))
		b.awaitExpected("the 400 of the refused deletion")
		b.errorInView(admin, "#confirm", "#delete-error", "the refused deletion")
		b.checkPage(admin, "link page, refused deletion", "")

		b.navigate(admin, app+"/links/new")
		b.heading(admin, h1NewLink)
		b.checkPage(admin, "new-link form", "")
		b.do(admin, "type the name of the existing link", chromedp.SendKeys(chromedp.CSS(selNewLinkName), demoLinkName),
			chromedp.SendKeys(chromedp.CSS("#jira_url"), b.info.jiraURL), chromedp.SendKeys(chromedp.CSS("#service_account"), demoServiceAccount))
		b.expect(`status of 409`)
		b.follow(admin, "submit the form", chromedp.Click(chromedp.CSS(selNewLinkSubmit)))
		b.awaitExpected("the 409 of the refused form")
		b.errorInView(admin, selNewLinkName, "#name-error", "the name taken")
		b.checkPage(admin, "new-link form, refused", "")

		b.expect(`status of 404`)
		b.navigate(admin, app+"/links/no-such-link")
		b.awaitExpected("the 404 of a missing link")
		b.visible(admin, selAlert, "the error")
		b.checkPage(admin, "error page", "")
	})

	b.mu.Lock()
	narrow := b.narrow
	b.mu.Unlock()
	if len(narrow) > 0 {
		b.t.Logf("pages that scroll sideways at %d px (not failing: strictNarrowWidth is false):\n  %s", narrowWidth, strings.Join(narrow, "\n  "))
	}
}

// deny has the service account click Deny for the approval link, checks
// the callback page, then that the approval link says the approval is over.
func (b *browserRun) deny(link, tag, shot string) {
	b.t.Helper()
	// The callback answers a denial with 403, and the approval link then
	// with 404, which Chromium reports as console errors of the pages.
	b.expect(`status of 403`)
	w := b.approveInJira(link, demoServiceAccount, b.info.svcPass, selJiraDeny, tag, "")
	b.awaitExpected("the 403 of the denial")
	b.heading(w, h1Denied)
	if got := b.text(w, selCallbackCode, "the diagnosis's code"); got != codeDenied {
		b.fatalf("the diagnosis's code is %q, want %q", got, codeDenied)
	}
	b.checkPage(w, "callback page, "+tag, shot)
	b.expect(`status of 404`)
	b.navigate(w, link)
	b.awaitExpected("the 404 of the approval that is over")
	if got := b.text(w, selErrorCode, "the error's code"); got != codeGone {
		b.fatalf("the approval link after Deny shows the code %q, want %q", got, codeGone)
	}
	b.contains("the approval link after Deny", b.text(w, selAlert, "the error"), "over")
	b.checkPage(w, "approval link after Deny ("+tag+")", "")
	b.closeWindow(w)
}

// denialNext checks that the link page shows the denial and names its next
// step, the approval button.
func (b *browserRun) denialNext(w *window) {
	b.t.Helper()
	b.contains("the denial on the link page", b.text(w, selLinkNotice+`"denied"]`, "the denial on the link page"), codeDenied, startApproval)
	if got := b.text(w, selStartApproval, "the approval button"); got != startApproval {
		b.fatalf("the approval button says %q, want %q", got, startApproval)
	}
}

// selfCheck proves that the watchers see what they are there for: an
// inline script (which both servers' Content-Security-Policy must refuse)
// and a request to another host (localhost instead of 127.0.0.1: another
// origin, still on this machine should the refusal fail).
func (b *browserRun) selfCheck() {
	w := b.newWindow("self-check window", false)
	defer b.closeWindow(w)
	const inject = `(() => {
		const s = document.createElement("script");
		s.textContent = "document.body.dataset.inline = 'ran'";
		document.head.appendChild(s);
		return document.body.dataset.inline || "blocked";
	})()`
	for _, site := range []struct{ name, url string }{{"applink", b.info.appURL + "/login"}, {"the simulated Jira", b.info.jiraURL + "/"}} {
		b.navigate(w, site.url)
		b.expect(`Content Security Policy`)
		if got := runIn(b, w, "inject an inline script", chromedp.Evaluate[string](inject)); got != "blocked" {
			b.fatalf("%s let an inline script run: its Content-Security-Policy does not protect %s", site.name, site.url)
		}
		b.awaitExpected(site.name + "'s refusal of an inline script did not reach the console: console errors would go unseen")
	}
	foreign, err := url.Parse(b.info.appURL)
	if err != nil {
		b.t.Fatal(err)
	}
	foreign.Host = "localhost:" + foreign.Port()
	foreign.Path = "/healthz"
	ctx, cancel := context.WithTimeout(w.ctx, waitTimeout)
	defer cancel()
	navErr := chromedp.Do(ctx, chromedp.Navigate(foreign.String()))
	b.mu.Lock()
	seen := -1
	for i, p := range b.problems {
		if strings.Contains(p, "request to a foreign host refused: http://localhost:") {
			seen = i
		}
	}
	if seen >= 0 {
		b.problems = append(b.problems[:seen], b.problems[seen+1:]...)
	}
	b.mu.Unlock()
	if navErr == nil || seen < 0 {
		b.fatalf("a request to %s was not refused (%v) and reported (%v)", foreign.Host, navErr, seen >= 0)
	}
}
