package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

const cloudUUIDAccount = "557058:f0e1d2c3-b4a5-4697-8899-aabbccddeeff"

func TestCompare(t *testing.T) {
	const (
		match  = oauth.VerdictMatch
		wrong  = oauth.VerdictMismatch
		cannot = oauth.VerdictUnverifiable
	)
	server, _ := oauth.ParseIdentity([]byte(serverMyself)) // name, key and email
	serverNoEmail := &oauth.Identity{Name: "svc-jira", Key: "JIRAUSER10100", DisplayName: "Jira Sync"}
	keyOnly := &oauth.Identity{Key: "JIRAUSER10100"}
	cloud, _ := oauth.ParseIdentity([]byte(cloudMyself)) // account id, email hidden
	cloudEmail := &oauth.Identity{AccountID: "5b10ac8d82e05b22cc7d4ef5", Email: "svc-jira@example.com"}
	cloudUUID := &oauth.Identity{AccountID: cloudUUIDAccount}
	tests := []struct {
		name string
		id   *oauth.Identity
		sa   string
		want oauth.Verdict
	}{
		// Server/DC: name, key and email are shown, account ids never.
		{"server/username", server, "SVC-Jira", match},
		{"server/key", server, "JIRAUSER10100", match},
		{"server/email", server, " svc-jira@example.com ", cannot}, // emails are not unique on Server/DC
		{"server/long s", &oauth.Identity{Name: "\u017fvc-jira", Key: "JIRAUSER666"}, "svc-jira", wrong},
		{"server/Kelvin sign", &oauth.Identity{Name: "\u212aate.sync", Key: "JIRAUSER666"}, "kate.sync", wrong},
		{"server/Kelvin sign, capital", &oauth.Identity{Name: "\u212aate.sync", Key: "JIRAUSER666"}, "Kate.sync", wrong},
		{"server/non-ASCII", &oauth.Identity{Name: "Müller", Key: "JIRAUSER7"}, "müller", match},
		{"server/another user with the email", &oauth.Identity{Name: "mallory", Key: "JIRAUSER666",
			Email: "SVC-SYNC@corp.example"}, "svc-sync@corp.example", cannot},
		{"server/look-alike email", &oauth.Identity{Name: "mallory", Email: "\u017fvc-sync@corp.example"}, "svc-sync@corp.example", wrong},
		{"server/other username", server, "jadmin", wrong},
		{"server/other key", server, "JIRAUSER10000", wrong},
		{"server/other email", server, "jane.admin@example.com", wrong},
		{"server/hex account id", server, "5b10ac8d82e05b22cc7d4ef5", cannot},
		{"server/uuid account id", server, cloudUUIDAccount, cannot},
		{"server/empty", server, "", wrong},
		{"server/blank", server, "  \t", wrong},
		// Server/DC with the email hidden.
		{"server no email/email", serverNoEmail, "svc-jira@example.com", cannot},
		{"server no email/username", serverNoEmail, "svc-jira", match},
		{"server no email/other username", serverNoEmail, "jadmin", wrong},
		{"key only/other username", keyOnly, "jadmin", wrong},
		{"key only/key", keyOnly, "JIRAUSER10100", match},
		// Cloud with the email shown: account id and email, no name or key.
		{"cloud email/account id", cloudEmail, "5b10ac8d82e05b22cc7d4ef5", match},
		{"cloud email/email", cloudEmail, "SVC-JIRA@example.com", match}, // next to the account id Jira returns
		{"cloud no account id/email", &oauth.Identity{Email: "svc-jira@example.com"}, "svc-jira@example.com", cannot},
		{"cloud email/other email", cloudEmail, "jane.admin@example.com", wrong},
		{"cloud email/other account id", cloudEmail, "5b10ac8d82e05b22cc7d4eff", wrong},
		{"cloud email/uuid account id", cloudEmail, cloudUUIDAccount, wrong},
		{"cloud email/username", cloudEmail, "svc-jira", cannot},
		{"cloud email/key", cloudEmail, "JIRAUSER10100", cannot},
		{"cloud email/empty", cloudEmail, "", wrong},
		// Cloud with the email hidden (privacy settings).
		{"cloud/email", cloud, "svc-jira@example.com", cannot},
		{"cloud/account id", cloud, "5b10ac8d82e05b22cc7d4ef5", match},
		{"cloud/other account id", cloud, "ffffffffffffffffffffffff", wrong},
		{"cloud/username", cloud, "svc-jira", cannot},
		{"cloud/display name", cloud, "Jira Sync", cannot},
		{"cloud/empty", cloud, "", wrong},
		{"cloud uuid/account id", cloudUUID, cloudUUIDAccount, match},
		{"cloud uuid/other uuid", cloudUUID, "557058:00000000-b4a5-4697-8899-aabbccddeeff", wrong},
		{"cloud uuid/hex account id", cloudUUID, "5b10ac8d82e05b22cc7d4ef5", wrong},
		// Nobody known.
		{"nil/username", nil, "svc-jira", oauth.VerdictUnknown},
		{"nil/empty", nil, "", wrong},
		{"empty identity/email", &oauth.Identity{}, "svc-jira@example.com", cannot},
	}
	for _, tt := range tests {
		got := tt.id.Compare(tt.sa)
		if got != tt.want {
			t.Errorf("%s: %v.Compare(%q) = %v, want %v", tt.name, tt.id, tt.sa, got, tt.want)
		}
	}
}

func TestUnverifiableNotice(t *testing.T) {
	cloud := &oauth.Identity{AccountID: "5b10ac8d82e05b22cc7d4ef5", DisplayName: "Jira Sync"}
	server := &oauth.Identity{Name: "svc-jira", Key: "JIRAUSER10100", DisplayName: "Jira Sync"}
	tests := []struct {
		name     string
		approver *oauth.Identity
		sa       string
		want     []string // in the message and hint
	}{
		{"cloud hides the email", cloud, "svc-jira@example.com", []string{
			`Jira Sync (5b10ac8d82e05b22cc7d4ef5) is the service account "svc-jira@example.com"`,
			"email address", "privacy settings", "its account id; the approver's is 5b10ac8d82e05b22cc7d4ef5",
		}},
		{"cloud has no usernames", cloud, "svc-jira", []string{`"svc-jira"`, "username or user key", "the approver's is 5b10ac8d82e05b22cc7d4ef5"}},
		{"server has no account ids", server, "5b10ac8d82e05b22cc7d4ef5", []string{"Jira Sync (svc-jira)", "account id", "its username or user key; the approver's username is svc-jira"}},
		{"server hides the email", server, "svc-jira@example.com", []string{"email address", "the approver's username is svc-jira"}},
		{"server emails are not unique", &oauth.Identity{Name: "mallory", Key: "JIRAUSER666", Email: "SVC-SYNC@corp.example"},
			"svc-sync@corp.example", []string{"share an email address", "username or user key; the approver's username is mallory"}},
	}
	for _, tt := range tests {
		a := oauth.Judge(tt.approver, tt.sa, "", nil, time.Time{})
		n := a.Notice()
		if a.Verdict != oauth.VerdictUnverifiable || n == nil || n.Code != oauth.CodeApproverUnverifiable || n.Severity != oauth.SeverityWarning {
			t.Errorf("%s: verdict %v notice %+v", tt.name, a.Verdict, n)
			continue
		}
		for _, s := range append(tt.want, "Connected apps") {
			if !strings.Contains(n.Message+" "+n.Hint, s) {
				t.Errorf("%s: notice lacks %q:\n%s\n%s", tt.name, s, n.Message, n.Hint)
			}
		}
	}
	evil := &oauth.Identity{AccountID: "5b10\x1b[2J\nac8d", Name: "e\r\x1b]0;x\x07", DisplayName: "Evil"}
	if n := oauth.Judge(evil, "svc\x1b[31m@example.com", "", nil, time.Time{}).Notice(); strings.ContainsAny(n.Message+n.Hint, "\r\x1b\x07") {
		t.Errorf("notice holds control characters: %+v", n)
	}
}

// TestJudge covers every verdict and its notice's code and severity.
func TestJudge(t *testing.T) {
	svc := &oauth.Identity{Name: "svc-jira", Key: "JIRAUSER10100"}
	other := &oauth.Identity{Name: "jadmin"}
	cloud := &oauth.Identity{AccountID: "5b10ac8d82e05b22cc7d4ef5"}
	myselfFailed := &oauth.Error{Code: oauth.CodeServerError, Step: "myself", Message: "Jira answered 503", Hint: "later"}
	for _, tt := range []struct {
		name     string
		id       *oauth.Identity
		err      error
		verdict  oauth.Verdict
		code     oauth.Code
		severity oauth.Severity
	}{
		{"match", svc, nil, oauth.VerdictMatch, "", ""},
		{"mismatch", other, nil, oauth.VerdictMismatch, oauth.CodeWrongApprover, oauth.SeverityDanger},
		{"unverifiable", cloud, nil, oauth.VerdictUnverifiable, oauth.CodeApproverUnverifiable, oauth.SeverityWarning},
		{"unknown", nil, myselfFailed, oauth.VerdictUnknown, oauth.CodeApproverUnknown, oauth.SeverityWarning},
		{"unknown without a cause", nil, nil, oauth.VerdictUnknown, oauth.CodeApproverUnknown, oauth.SeverityWarning},
		{"an identity with an error is unknown", svc, myselfFailed, oauth.VerdictUnknown, oauth.CodeApproverUnknown, oauth.SeverityWarning},
	} {
		a := oauth.Judge(tt.id, "svc-jira", "", tt.err, time.Time{})
		if a.Verdict != tt.verdict || !a.Verdict.Valid() {
			t.Errorf("%s: verdict %v, want %v", tt.name, a.Verdict, tt.verdict)
		}
		n := a.Notice()
		if (n == nil) != (tt.code == "") || n != nil && (n.Code != tt.code || n.Severity != tt.severity) {
			t.Errorf("%s: notice %+v, want %s/%s", tt.name, n, tt.code, tt.severity)
		}
		if tt.err != nil && (a.IdentityError == nil || a.IdentityError.Code != oauth.CodeServerError || a.Approver != nil) {
			t.Errorf("%s: identity error %+v approver %v", tt.name, a.IdentityError, a.Approver)
		}
	}
	if oauth.Verdict("maybe").Valid() {
		t.Error(`Verdict("maybe").Valid()`)
	}
}

func TestCompleteUnverified(t *testing.T) {
	f := handshakeJira(t, cloudMyself, http.StatusOK) // Cloud, email hidden
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != oauth.VerdictUnverifiable || res.Notice().Code != oauth.CodeApproverUnverifiable {
		t.Errorf("got %v, notice %+v", res.Verdict, res.Notice())
	}
	if res.AccessToken == nil || res.AccessToken.Secret != "as1" {
		t.Errorf("the token is not kept: %+v", res.AccessToken)
	}

	// A username the Server answer shows and that is someone else's stays
	// a mismatch.
	f = handshakeJira(t, `{"name":"jadmin","key":"JIRAUSER10000","displayName":"Jane Admin"}`, http.StatusOK)
	res, err = consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != oauth.VerdictMismatch || res.Notice().Code != oauth.CodeWrongApprover {
		t.Errorf("got %v, notice %+v", res.Verdict, res.Notice())
	}
}

// TestJiraCompleteByEmail designates the service account by its email
// address against a simulated Jira Cloud that shows or hides it.
func TestJiraCompleteByEmail(t *testing.T) {
	const svcEmail = "svc-jira@example.com"
	for _, tt := range []struct {
		name           string
		user, password string
		hideEmail      bool
		verdict        oauth.Verdict
		mention        string // in the notice
	}{
		{"service account, email hidden", svcName, svcPassword, true, oauth.VerdictUnverifiable, svcAccount},
		{"service account, email shown", svcName, svcPassword, false, oauth.VerdictMatch, ""},
		{"someone else, email hidden", adminName, adminPass, true, oauth.VerdictUnverifiable, "557058:f0e1d2c3"},
		{"someone else, email shown", adminName, adminPass, false, oauth.VerdictMismatch, "Jane Admin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Cloud})
			// Replace the users with the same ones under the privacy setting.
			e.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount,
				Email: svcEmail, DisplayName: "Jira Align Service", Password: svcPassword, HideEmail: tt.hideEmail})
			e.jira.AddUser(jiratest.User{Name: adminName, Key: "JIRAUSER10000", AccountID: "557058:f0e1d2c3",
				Email: "jane.admin@example.com", DisplayName: "Jane Admin", Password: adminPass, HideEmail: tt.hideEmail})
			rt, verifier := e.approve(t, "", tt.user, tt.password, true)
			res, err := e.c.Complete(testCtx(t), rt, verifier, svcEmail, "")
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if res.Approver == nil || (res.Approver.Email == "") != tt.hideEmail {
				t.Fatalf("approver %+v, want the email hidden = %v", res.Approver, tt.hideEmail)
			}
			n := res.Notice()
			if res.Verdict != tt.verdict || (n == nil) != (tt.verdict == oauth.VerdictMatch) {
				t.Errorf("verdict %v notice %+v, want %v", res.Verdict, n, tt.verdict)
			}
			if n != nil && !strings.Contains(n.Message+n.Hint, tt.mention) {
				t.Errorf("notice does not name %q: %+v", tt.mention, n)
			}
			if res.AccessToken == nil || res.AccessToken.Token.Token == "" {
				t.Errorf("no access token: %+v", res.AccessToken)
			}
		})
	}
}

// TestJudgePinned judges approvals of a link that remembers its service
// account's immutable id: the id decides, and an account that took the
// service account's name gets its own notice.
func TestJudgePinned(t *testing.T) {
	const pin, cloudPin = "JIRAUSER10100", "5b10ac8d82e05b22cc7d4ef5"
	for _, tt := range []struct {
		name    string
		id      *oauth.Identity
		sa, pin string
		verdict oauth.Verdict
		code    oauth.Code
	}{
		{"the pinned account", &oauth.Identity{Name: "svc-jira", Key: pin}, "svc-jira", pin, oauth.VerdictMatch, ""},
		{"the pinned account, renamed", &oauth.Identity{Name: "svc-sync", Key: pin}, "svc-jira", pin, oauth.VerdictMatch, ""},
		{"another account with the name", &oauth.Identity{Name: "svc-jira", Key: "JIRAUSER666"}, "svc-jira", pin,
			oauth.VerdictMismatch, oauth.CodeAccountReplaced},
		{"another account", &oauth.Identity{Name: "jadmin", Key: "JIRAUSER10000"}, "svc-jira", pin,
			oauth.VerdictMismatch, oauth.CodeWrongApprover},
		{"no pin, another account with the name", &oauth.Identity{Name: "svc-jira", Key: "JIRAUSER666"}, "svc-jira", "",
			oauth.VerdictMatch, ""},
		{"cloud, another account with the email", &oauth.Identity{AccountID: "ffffffffffffffffffffffff", Email: "svc@example.com"},
			"svc@example.com", cloudPin, oauth.VerdictMismatch, oauth.CodeAccountReplaced},
		{"cloud, the pinned account", &oauth.Identity{AccountID: cloudPin, Email: "svc@example.com"}, "svc@example.com", cloudPin,
			oauth.VerdictMatch, ""},
		{"nobody", nil, "svc-jira", pin, oauth.VerdictUnknown, oauth.CodeApproverUnknown},
	} {
		a := oauth.Judge(tt.id, tt.sa, tt.pin, nil, time.Time{})
		n := a.Notice()
		if a.Verdict != tt.verdict || (n == nil) != (tt.code == "") || n != nil && n.Code != tt.code {
			t.Errorf("%s: verdict %v notice %+v, want %v %s", tt.name, a.Verdict, n, tt.verdict, tt.code)
		}
		if n != nil && n.Code == oauth.CodeAccountReplaced && (n.Severity != oauth.SeverityDanger || !strings.Contains(n.Message, tt.pin)) {
			t.Errorf("%s: notice %+v does not name the pinned id %s", tt.name, n, tt.pin)
		}
		if a.ServiceAccountID != tt.pin {
			t.Errorf("%s: ServiceAccountID %q, want %q", tt.name, a.ServiceAccountID, tt.pin)
		}
	}
}
