package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
		{"server/email", server, " svc-jira@example.com ", match},
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
		{"cloud email/email", cloudEmail, "SVC-JIRA@example.com", match},
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
		{"nil/username", nil, "svc-jira", cannot},
		{"nil/empty", nil, "", wrong},
		{"empty identity/email", &oauth.Identity{}, "svc-jira@example.com", cannot},
	}
	for _, tt := range tests {
		got := tt.id.Compare(tt.sa)
		if got != tt.want {
			t.Errorf("%s: %v.Compare(%q) = %v, want %v", tt.name, tt.id, tt.sa, got, tt.want)
		}
		if (got == oauth.VerdictMatch) != tt.id.Matches(tt.sa) {
			t.Errorf("%s: Compare(%q) = %v but Matches = %v", tt.name, tt.sa, got, tt.id.Matches(tt.sa))
		}
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[oauth.Verdict]string{
		oauth.VerdictMatch: "match", oauth.VerdictMismatch: "mismatch", oauth.VerdictUnverifiable: "unverifiable",
		oauth.Verdict(42): "Verdict(42)",
	} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q, want %q", int(v), got, want)
		}
	}
}

func TestUnverifiedWarning(t *testing.T) {
	cloud := &oauth.Identity{AccountID: "5b10ac8d82e05b22cc7d4ef5", DisplayName: "Jira Sync"}
	server := &oauth.Identity{Name: "svc-jira", Key: "JIRAUSER10100", DisplayName: "Jira Sync"}
	tests := []struct {
		name     string
		approver *oauth.Identity
		sa       string
		want     []string
	}{
		{"cloud hides the email", cloud, "svc-jira@example.com", []string{
			`CHECK: applink cannot confirm that Jira Sync (5b10ac8d82e05b22cc7d4ef5) is the service account "svc-jira@example.com"`,
			"does not show the approver's email address", "privacy settings", "no usernames",
			"its account id; the approver's is 5b10ac8d82e05b22cc7d4ef5",
		}},
		{"cloud has no usernames", cloud, "svc-jira", []string{
			`"svc-jira"`, "does not show the approver's username or user key", "Jira Cloud has no usernames",
			"the approver's is 5b10ac8d82e05b22cc7d4ef5",
		}},
		{"server has no account ids", server, "5b10ac8d82e05b22cc7d4ef5", []string{
			"Jira Sync (svc-jira)", "does not show the approver's account id", "Server and Data Center do not have them",
			"its username; the approver's is svc-jira",
		}},
		{"server hides the email", server, "svc-jira@example.com", []string{
			"does not show the approver's email address", "the approver's is svc-jira",
		}},
		{"nobody", nil, "", []string{
			"an unknown account", "none was named", "on Jira Cloud its account id, on Jira Server/Data Center its username",
		}},
	}
	for _, tt := range tests {
		w := oauth.UnverifiedWarning(tt.approver, tt.sa)
		// Every notice says that it is not a verdict and how to fix a
		// wrong approver, like MismatchWarning does.
		want := append(tt.want, "This does not mean the wrong account approved", "private/incognito",
			"Profile > Tools > View OAuth Access Tokens", "Connected apps")
		for _, s := range want {
			if !strings.Contains(w, s) {
				t.Errorf("%s: notice lacks %q:\n%s", tt.name, s, w)
			}
		}
		if !strings.HasPrefix(w, "CHECK: ") || strings.Contains(w, "WARNING") || strings.Contains(w, "not by the service account") {
			t.Errorf("%s: notice reads like a mismatch:\n%s", tt.name, w)
		}
		if strings.HasSuffix(w, "\n") || strings.Count(w, "\n") < 3 {
			t.Errorf("%s: want several lines and no trailing newline:\n%q", tt.name, w)
		}
	}
	evil := &oauth.Identity{AccountID: "5b10\x1b[2J\nac8d", Name: "e\r\x1b]0;x\x07", DisplayName: "Evil"}
	if w := oauth.UnverifiedWarning(evil, "svc\x1b[31m@example.com"); strings.ContainsAny(w, "\r\x1b\x07") {
		t.Errorf("notice holds control characters: %q", w)
	}
}

func TestCompleteUnverified(t *testing.T) {
	f := handshakeJira(t, cloudMyself, http.StatusOK) // Cloud, email hidden
	res, err := consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res.Match || !res.Unverified || res.Warning != oauth.UnverifiedWarning(res.Approver, "svc-jira@example.com") {
		t.Errorf("got Match %v Unverified %v, warning:\n%s", res.Match, res.Unverified, res.Warning)
	}
	if res.AccessToken == nil || res.AccessToken.Secret != "as1" {
		t.Errorf("the token is not kept: %+v", res.AccessToken)
	}

	// A username the Server answer shows and that is someone else's stays
	// a mismatch.
	f = handshakeJira(t, `{"name":"jadmin","key":"JIRAUSER10000","displayName":"Jane Admin"}`, http.StatusOK)
	res, err = consumerFor(t, f, "").Complete(context.Background(),
		&oauth.RequestToken{Token: oauth.Token{Token: "rt"}}, "v", "svc-jira")
	if err != nil {
		t.Fatal(err)
	}
	if res.Match || res.Unverified || !strings.HasPrefix(res.Warning, "WARNING: ") {
		t.Errorf("got Match %v Unverified %v, warning:\n%s", res.Match, res.Unverified, res.Warning)
	}
}

// TestJiraCompleteByEmail designates the service account by its email
// address against a simulated Jira Cloud that shows or hides it.
func TestJiraCompleteByEmail(t *testing.T) {
	const svcEmail = "svc-jira@example.com"
	for _, tt := range []struct {
		name            string
		user, password  string
		hideEmail       bool
		match, unverify bool
		prefix          string
		mention         string // in the warning
	}{
		{"service account, email hidden", svcName, svcPassword, true, false, true, "CHECK: ", svcAccount},
		{"service account, email shown", svcName, svcPassword, false, true, false, "", ""},
		{"someone else, email hidden", adminName, adminPass, true, false, true, "CHECK: ", "557058:f0e1d2c3"},
		{"someone else, email shown", adminName, adminPass, false, false, false, "WARNING: ", "Jane Admin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newJiraEnv(t, jiratest.Options{Flavor: jiratest.Cloud})
			// Replace the users with the same ones under the privacy setting.
			e.jira.AddUser(jiratest.User{Name: svcName, Key: "JIRAUSER10100", AccountID: svcAccount,
				Email: svcEmail, DisplayName: "Jira Align Service", Password: svcPassword, HideEmail: tt.hideEmail})
			e.jira.AddUser(jiratest.User{Name: adminName, Key: "JIRAUSER10000", AccountID: "557058:f0e1d2c3",
				Email: "jane.admin@example.com", DisplayName: "Jane Admin", Password: adminPass, HideEmail: tt.hideEmail})
			rt, verifier := e.approve(t, "", tt.user, tt.password, true)
			res, err := e.c.Complete(testCtx(t), rt, verifier, svcEmail)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if res.Approver == nil || (res.Approver.Email == "") != tt.hideEmail {
				t.Fatalf("approver %+v, want the email hidden = %v", res.Approver, tt.hideEmail)
			}
			if res.Match != tt.match || res.Unverified != tt.unverify {
				t.Errorf("Match %v Unverified %v, want %v %v", res.Match, res.Unverified, tt.match, tt.unverify)
			}
			if tt.match && res.Warning != "" {
				t.Errorf("a match with a warning:\n%s", res.Warning)
			}
			if !tt.match && (!strings.HasPrefix(res.Warning, tt.prefix) || !strings.Contains(res.Warning, tt.mention)) {
				t.Errorf("warning does not start with %q and name %q:\n%s", tt.prefix, tt.mention, res.Warning)
			}
			if res.AccessToken == nil || res.AccessToken.Token.Token == "" {
				t.Errorf("no access token: %+v", res.AccessToken)
			}
		})
	}
}
