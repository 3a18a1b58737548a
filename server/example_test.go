package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"

	"github.com/applink/applink/server"
	"github.com/applink/applink/server/store"
)

// A script creates a link through the JSON API with the admin token.
func Example() {
	dir, err := os.MkdirTemp("", "applink-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(dir)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	srv, err := server.New(server.Config{Store: st, PublicURL: "http://127.0.0.1:8080", AdminToken: "example-admin-token-0123456789abcdef",
		// A stand-in for DNS, so that the example calls no network.
		LookupIP: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
		}})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	body := `{"name": "prod", "jira_url": "https://jira.example.com/jira/", "service_account": "svc-jira"}`
	req, _ := http.NewRequest("POST", ts.URL+"/api/links", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer example-admin-token-0123456789abcdef")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var link server.LinkView
	if err := json.NewDecoder(resp.Body).Decode(&link); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, link.Name, link.State, link.JiraURL)
	fmt.Println(link.AppLink.ConsumerKey)
	fmt.Println(link.AppLink.CallbackURL)
	fmt.Println(link.AppLink.RequestTokenURL)
	// Output:
	// 201 prod new https://jira.example.com/jira
	// applink-prod
	// http://127.0.0.1:8080/oauth/callback
	// https://jira.example.com/jira/plugins/servlet/oauth/request-token
}
