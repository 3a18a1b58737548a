package oauth_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/applink/applink/oauth"
)

// raceEnabled is set when the race detector is on (race_test.go).
var raceEnabled bool

// hostileJira grants every permission asked, has no old createmeta, and
// answers every per-project createmeta call with page (isLast false). It
// answers 503 after maxPages pages, so that a reader without caps ends.
func hostileJira(t *testing.T, page []byte, maxPages int64) (url string, pages, bytes *atomic.Int64) {
	t.Helper()
	pages, bytes = new(atomic.Int64), new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/rest/api/2/mypermissions":
			perms := map[string]any{}
			for k := range strings.SplitSeq(r.URL.Query().Get("permissions"), ",") {
				perms[k] = map[string]bool{"havePermission": true}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"permissions": perms})
		case strings.HasPrefix(r.URL.Path, oauth.CreateMetaProjectPath) && pages.Add(1) <= maxPages:
			bytes.Add(int64(len(page)))
			_, _ = w.Write(page)
		case r.URL.Path == oauth.CreateMetaPath:
			http.NotFound(w, r)
		default:
			http.Error(w, "{}", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, pages, bytes
}

// metaPage is a per-project createmeta page of n items with names of
// nameLen bytes, none of them Reporter.
func metaPage(n, nameLen int, isLast bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"isLast":%t,"total":999999999,"values":[`, isLast)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%d","fieldId":"f%d","name":"%s"}`, 10000+i, i, strings.Repeat("x", nameLen))
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// TestRunAuditHostileCreateMeta: a Jira whose per-project createmeta
// answers page after page of about 8 MB with isLast false ends the audit
// at its caps (pages per project, bytes per audit) with the gap
// audit_truncated, instead of reading without end; the peak resident
// memory of the process is logged (BENCHMARKS.md).
func TestRunAuditHostileCreateMeta(t *testing.T) {
	if raceEnabled {
		t.Skip("parsing 128 MB of JSON outlasts the test's deadline under the race detector; TestRunAuditCreateMetaCaps covers the caps")
	}
	page := metaPage(7600, 1024, false) // just under 8 MiB, the cap of one answer
	url, pages, bytes := hostileJira(t, page, 60)
	cl, err := oauth.NewBasicClient(url, svcName, svcPassword)
	if err != nil {
		t.Fatal(err)
	}
	before := peakRSS()
	a, err := oauth.RunAudit(testCtx(t), cl, oauth.AuditRequest{Projects: []string{"ABC"}})
	t.Logf("served %d createmeta pages (%d MB); peak RSS %d MB before the audit, %d MB after",
		pages.Load(), bytes.Load()>>20, before>>20, peakRSS()>>20)
	if err != nil {
		t.Fatalf("RunAudit: %v", err)
	}
	if got := gapCodesOf(t, a.Projects["ABC"]); !slices.Contains(got, "audit_truncated") {
		t.Errorf("ABC's gaps = %v, want audit_truncated", got)
	}
	if got, limit := bytes.Load(), int64(128<<20+len(page)); got > limit {
		t.Errorf("the audit read %d bytes of createmeta, want at most %d", got, limit)
	}
}

// TestRunAuditCreateMetaCaps: small pages without end stop at 500 pages a
// project; 250 issue types (each a page of fields without Reporter) stop
// at 200 checked. Either way the project gets audit_truncated.
func TestRunAuditCreateMetaCaps(t *testing.T) {
	for _, tt := range []struct {
		name      string
		page      []byte
		maxPages  int64
		wantGaps  string
		wantNamed int
	}{
		{"pages", metaPage(1, 10, false), 500, "audit_truncated", 0},
		{"issue types", metaPage(250, 10, true), 201, "reporter_not_on_screen,audit_truncated", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, pages, _ := hostileJira(t, tt.page, 5000)
			cl, err := oauth.NewBasicClient(url, svcName, svcPassword)
			if err != nil {
				t.Fatal(err)
			}
			a, err := oauth.RunAudit(testCtx(t), cl, oauth.AuditRequest{Projects: []string{"ABC"}, Permissions: []string{"MODIFY_REPORTER"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(gapCodesOf(t, a.Projects["ABC"]), ","); got != tt.wantGaps {
				t.Errorf("gaps %s, want %s", got, tt.wantGaps)
			}
			if n := pages.Load(); n > tt.maxPages {
				t.Errorf("%d createmeta pages read, want at most %d", n, tt.maxPages)
			}
			if m := a.Projects["ABC"].Missing; tt.wantNamed > 0 && (m[0].Omitted != tt.wantNamed-20) {
				t.Errorf("omitted %d names, want %d", m[0].Omitted, tt.wantNamed-20)
			}
		})
	}
}

// TestRunAuditCapsNames: 7,000 issue types of 1 KB names without Reporter
// (the old createmeta) give a gap that names 20 of them, each cut short,
// and counts the others: the audit stays a few KB.
func TestRunAuditCapsNames(t *testing.T) {
	var types []map[string]any
	for i := range 7000 {
		types = append(types, map[string]any{"name": fmt.Sprintf("%04d%s", i, strings.Repeat("n", 1020)), "fields": map[string]any{}})
	}
	body, _ := json.Marshal(map[string]any{"projects": []any{map[string]any{"key": "ABC", "issuetypes": types}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == oauth.CreateMetaPath {
			_, _ = w.Write(body)
			return
		}
		_, _ = fmt.Fprint(w, `{"permissions":{"MODIFY_REPORTER":{"havePermission":true}}}`)
	}))
	t.Cleanup(srv.Close)
	cl, err := oauth.NewBasicClient(srv.URL, svcName, svcPassword)
	if err != nil {
		t.Fatal(err)
	}
	a, err := oauth.RunAudit(testCtx(t), cl, oauth.AuditRequest{Projects: []string{"ABC"}, Permissions: []string{"MODIFY_REPORTER"}})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(a)
	if len(stored) > 8<<10 {
		t.Errorf("the audit is %d bytes, want at most 8 KiB", len(stored))
	}
	missing := a.Projects["ABC"].Missing
	if len(missing) != 1 || missing[0].Code != oauth.CodeReporterNotOnScreen || missing[0].Omitted != 6980 {
		t.Fatalf("gaps = %+v, want reporter_not_on_screen omitting 6980 names", missing)
	}
}
