package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/applink/applink/server/store"
)

// TestDamagedPrivateKeyShownWithDelete: a link whose private.pem (or
// link.json) is cut short is shown failed, naming the file, on the
// dashboard, in GET /api/links and on its page, whose Delete removes it.
func TestDamagedPrivateKeyShownWithDelete(t *testing.T) {
	for _, file := range []string{"private.pem", "link.json"} {
		t.Run(file, func(t *testing.T) { testDamagedFileShownWithDelete(t, file) })
	}
}

func testDamagedFileShownWithDelete(t *testing.T, file string) {
	f := newFixture(t, options{})
	f.createLink("prod")
	f.createLink("ok")
	if err := os.Truncate(filepath.Join(f.dir, "links", "prod", file), 100); err != nil {
		t.Fatal(err)
	}
	f.restart() // no configuration cached

	resp, body := f.api("GET", "/api/links", nil)
	wantStatus(t, resp, body, http.StatusOK)
	var got struct{ Links []LinkView }
	if err := json.Unmarshal(body, &got); err != nil || len(got.Links) != 2 {
		t.Fatalf("GET /api/links: %v, %s", err, body)
	}
	if l := got.Links[1]; l.Name != "prod" || l.State != stateFailed || l.LastError == nil || l.LastError.Code != store.CodeCorrupt {
		t.Errorf("the damaged link: %+v", l)
	}
	b := f.newBrowser()
	b.signIn()
	resp, page := b.get("/")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, "/links/prod")
	resp, page = b.get("/links/prod")
	wantStatus(t, resp, []byte(page), http.StatusOK)
	wantContains(t, page, file, `action="/links/prod/delete#confirm"`)
	if resp, page = b.post("/links/prod/delete", url.Values{"confirm": {"prod"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", resp.StatusCode, page)
	}
	resp, body = f.api("GET", "/api/links/prod", nil)
	wantStatus(t, resp, body, http.StatusNotFound)
}
