package oauth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

const (
	serverMyself = `{"self":"https://jira.example.com/rest/api/2/user?username=svc-jira","key":"JIRAUSER10100",
		"name":"svc-jira","emailAddress":"Svc-Jira@Example.com","displayName":"Jira Sync","active":true,"timeZone":"UTC"}`
	cloudMyself = `{"self":"https://x.atlassian.net/rest/api/2/user?accountId=5b10ac8d82e05b22cc7d4ef5",
		"accountId":"5b10ac8d82e05b22cc7d4ef5","accountType":"atlassian","displayName":"Jira Sync","active":true}`
)

func TestParseIdentity(t *testing.T) {
	yes := true
	tests := []struct {
		name, body string
		want       oauth.Identity
	}{
		{"server", serverMyself, oauth.Identity{Name: "svc-jira", Key: "JIRAUSER10100", Email: "Svc-Jira@Example.com",
			DisplayName: "Jira Sync", Active: &yes}},
		{"cloud", cloudMyself, oauth.Identity{AccountID: "5b10ac8d82e05b22cc7d4ef5", AccountType: "atlassian",
			DisplayName: "Jira Sync", Active: &yes}},
	}
	for _, tt := range tests {
		got, err := oauth.ParseIdentity([]byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Active == nil || *got.Active != *tt.want.Active {
			t.Errorf("%s: Active = %v", tt.name, got.Active)
		}
		got.Active, tt.want.Active = nil, nil
		if *got != tt.want {
			t.Errorf("%s: got %+v\nwant %+v", tt.name, *got, tt.want)
		}
	}
	for _, bad := range []string{"", "null", "[]", `{"displayName":"Nobody"}`, "<html>", `{"name":1}`} {
		_, err := oauth.ParseIdentity([]byte(bad))
		if e := asError(t, err); e.Code != oauth.CodeBadResponse || e.Step != "myself" {
			t.Errorf("%q: code %s step %s, want %s myself", bad, e.Code, e.Step, oauth.CodeBadResponse)
		}
	}
}

func FuzzParseIdentity(f *testing.F) {
	f.Add([]byte(serverMyself))
	f.Add([]byte(cloudMyself))
	f.Add([]byte(`{"name":"\u001b[31m"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := oauth.ParseIdentity(body)
		if err != nil {
			if id != nil {
				t.Fatal("an identity and an error")
			}
			return
		}
		if id.Name == "" && id.Key == "" && id.AccountID == "" {
			t.Fatalf("an identity that names nobody: %+v", id)
		}
		if s := id.String(); s == "" || strings.ContainsAny(s, "\r\n\x1b") {
			t.Errorf("String() = %q", s)
		}
		// An email address alone never identifies a Server/DC user.
		if e := strings.TrimSpace(id.Email); id.AccountID == "" && strings.Contains(e, "@") && e != id.Key &&
			id.Compare(e) == oauth.VerdictMatch {
			t.Errorf("Compare(%q) matches on Server by email: %+v", e, id)
		}
		lower := strings.ToLower // Jira's rule, not strings.EqualFold
		for _, sa := range []string{id.Name, id.Email, "svc-jira", "\u212aate.sync"} {
			if oauth.SameName(sa, id.Name) != oauth.SameName(id.Name, sa) ||
				oauth.SameName(sa, id.Name) && lower(sa) != lower(id.Name) {
				t.Errorf("SameName(%q, %q) is not symmetric or not a lower-case match", sa, id.Name)
			}
		}
		for _, sa := range []string{"svc@example.com", "svc"} {
			if n := oauth.Judge(id, sa, "", nil, time.Time{}).Notice(); n != nil && strings.ContainsAny(n.Message+n.Hint, "\r\n\x1b") {
				t.Errorf("notice holds control characters: %+v", n)
			}
		}
	})
}

func TestCompareMatches(t *testing.T) {
	server, _ := oauth.ParseIdentity([]byte(serverMyself))
	cloud, _ := oauth.ParseIdentity([]byte(cloudMyself))
	tests := []struct {
		id   *oauth.Identity
		sa   string
		want bool
	}{
		{server, "svc-jira", true},
		{server, "SVC-Jira", true}, // usernames ignore case
		{server, "  svc-jira\n", true},
		{server, "JIRAUSER10100", true},
		{server, "jirauser10100", false},        // keys are exact
		{server, "svc-jira@example.com", false}, // emails are not unique on Server/DC
		{server, "SVC-JIRA@EXAMPLE.COM", false},
		{server, "jadmin", false},
		{server, "", false},
		{server, "   ", false},
		{cloud, "5b10ac8d82e05b22cc7d4ef5", true},
		{cloud, "5B10AC8D82E05B22CC7D4EF5", false}, // account ids are exact
		{cloud, "Jira Sync", false},                // display names never match
		{cloud, "", false},
		{&oauth.Identity{}, "", false},
		{nil, "svc-jira", false},
	}
	for _, tt := range tests {
		if got := tt.id.Compare(tt.sa) == oauth.VerdictMatch; got != tt.want {
			t.Errorf("%v.Compare(%q) is a match: %v, want %v", tt.id, tt.sa, got, tt.want)
		}
	}
}

// TestSameName is Jira's username rule: lower-case, never Unicode case
// folding, and no look-alike passes for an ASCII letter.
func TestSameName(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"svc-jira", "svc-jira", true},
		{"SVC-Jira", "svc-jira", true},
		{"Müller", "müller", true},
		{"MÜLLER", "müller", true},
		{"müller", "müller", true},
		{"\u017fvc-jira", "svc-jira", false}, // long s (U+017F) folds to s but stays another user in Jira
		{"\u017fvc-jira", "Svc-jira", false},
		{"\u212aate.sync", "kate.sync", false}, // Kelvin sign
		{"\u212aate.sync", "Kate.sync", false},
		{"\u0130nfo", "info", false},    // capital I with a dot (U+0130)
		{"ΟΔΥΣΣΕΥΣ", "οδυσσευς", false}, // Java lower-cases a final Σ to ς
		{"ΟΔΥΣΣΕΥΣ", "ΟΔΥΣΣΕΥΣ", true},
		{"müller", "müller", false}, // not normalised, as in Jira
		{"svc-jira", "svc-jira2", false},
		{"", "", false},
	} {
		if got := oauth.SameName(tt.a, tt.b); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := oauth.SameName(tt.b, tt.a); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestIdentityString(t *testing.T) {
	server, _ := oauth.ParseIdentity([]byte(serverMyself))
	cloud, _ := oauth.ParseIdentity([]byte(cloudMyself))
	tests := []struct {
		id   *oauth.Identity
		want string
	}{
		{server, "Jira Sync (svc-jira)"},
		{cloud, "Jira Sync (5b10ac8d82e05b22cc7d4ef5)"},
		{&oauth.Identity{Key: "JIRAUSER1"}, "JIRAUSER1"},
		{&oauth.Identity{DisplayName: "Evil\x1b[2J\nName", Name: "e"}, "Evil [2J Name (e)"},
		{&oauth.Identity{}, "an unknown account"},
		{nil, "an unknown account"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestMismatchNotice(t *testing.T) {
	approver := &oauth.Identity{Name: "jadmin", DisplayName: "Jane Admin"}
	n := oauth.Judge(approver, "svc-jira", "", nil, time.Time{}).Notice()
	if n == nil || n.Code != oauth.CodeWrongApprover || n.Severity != oauth.SeverityDanger {
		t.Fatalf("notice %+v", n)
	}
	for _, s := range []string{"Jane Admin (jadmin)", `"svc-jira"`, "will appear as done by Jane Admin (jadmin)"} {
		if !strings.Contains(n.Message, s) {
			t.Errorf("message lacks %q:\n%s", s, n.Message)
		}
	}
	for _, s := range []string{"private (incognito)", "Profile > Tools > View OAuth Access Tokens", "Connected apps"} {
		if !strings.Contains(n.Hint, s) {
			t.Errorf("hint lacks %q:\n%s", s, n.Hint)
		}
	}
	if n := oauth.Judge(approver, "", "", nil, time.Time{}).Notice(); n == nil || n.Code != oauth.CodeWrongApprover || !strings.Contains(n.Message, "none was named") {
		t.Errorf("no service account: %+v", n)
	}
}

func TestBeforeApproval(t *testing.T) {
	b := oauth.BeforeApproval("https://jira.example.com/jira?x=1", "svc-jira")
	for _, s := range []string{"https://jira.example.com/jira", `"svc-jira"`, "private/incognito", "not as yourself", "Allow"} {
		if !strings.Contains(b, s) {
			t.Errorf("reminder lacks %q:\n%s", s, b)
		}
	}
	if strings.Contains(b, "x=1") || strings.HasSuffix(b, "\n") || !strings.Contains(b, "\n") {
		t.Errorf("reminder:\n%q", b)
	}
}
