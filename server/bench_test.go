package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/applink/applink/server/store"
)

// BenchmarkAPIListLinks measures GET /api/links with 20 links: every
// request reads each link's record from the data folder and builds its
// Application Link configuration.
func BenchmarkAPIListLinks(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Store: st, PublicURL: "http://127.0.0.1:8080", AdminToken: adminToken, Logger: zerolog.New(io.Discard)})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		if _, err := s.CreateLink(b.Context(), LinkInput{Name: fmt.Sprintf("link-%02d", i), JiraURL: "https://jira.example.com", ServiceAccount: "svc-jira"}); err != nil {
			b.Fatal(err)
		}
	}
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/links", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
