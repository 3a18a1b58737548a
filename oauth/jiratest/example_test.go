package jiratest_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/applink/applink/oauth/jiratest"
	"github.com/dghubble/oauth1"
)

// A whole handshake against the simulated Jira: dghubble/oauth1 is the
// consumer, Browser the person who logs in and clicks Allow, and myself
// says who approved.
func Example() {
	key := consumerKey() // an *rsa.PrivateKey
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	publicKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	jira := jiratest.New(jiratest.Options{Flavor: jiratest.Server})
	jira.AddUser(jiratest.User{Name: "svc-jira", DisplayName: "Sync Service", Password: "s3cret"})
	if err := jira.AddConsumer("my-integration", "My integration", publicKey, ""); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(jira)
	defer srv.Close()

	cfg := &oauth1.Config{
		ConsumerKey: "my-integration",
		CallbackURL: "oob",
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: srv.URL + jiratest.PathRequestToken,
			AuthorizeURL:    srv.URL + jiratest.PathAuthorize,
			AccessTokenURL:  srv.URL + jiratest.PathAccessToken,
		},
		Signer: &oauth1.RSASigner{PrivateKey: key},
	}
	requestToken, requestSecret, err := cfg.RequestToken()
	if err != nil {
		log.Fatal(err)
	}
	authorizeURL, _ := cfg.AuthorizationURL(requestToken)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, verifier, err := (&jiratest.Browser{}).Approve(ctx, authorizeURL.String(), "svc-jira", "s3cret", true)
	if err != nil {
		log.Fatal(err)
	}
	accessToken, accessSecret, err := cfg.AccessToken(requestToken, requestSecret, verifier)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := oauth1.NewClient(ctx, cfg, oauth1.NewToken(accessToken, accessSecret)).Get(srv.URL + jiratest.PathMyself)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct{ Name, DisplayName string }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("approved by %s (%s)\n", me.DisplayName, me.Name)
	// Output: approved by Sync Service (svc-jira)
}

// Faults make the simulated Jira misbehave: here its clock is an hour
// ahead, and it answers as Jira does.
func ExampleJira_SetFaults() {
	key := consumerKey()
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	jira := jiratest.New(jiratest.Options{})
	if err := jira.AddConsumer("my-integration", "", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), ""); err != nil {
		log.Fatal(err)
	}
	jira.SetFaults(jiratest.Faults{ClockOffset: time.Hour})
	srv := httptest.NewServer(jira)
	defer srv.Close()

	// Sign a request-token request with dghubble/oauth1 (recorded, not
	// sent), then send it to read Jira's answer.
	rec := &recorder{}
	cfg := &oauth1.Config{
		ConsumerKey: "my-integration",
		CallbackURL: "oob",
		Endpoint:    oauth1.Endpoint{RequestTokenURL: srv.URL + jiratest.PathRequestToken},
		Signer:      &oauth1.RSASigner{PrivateKey: key},
		HTTPClient:  &http.Client{Transport: rec},
	}
	if _, _, err := cfg.RequestToken(); err != nil {
		log.Fatal(err)
	}
	resp, err := srv.Client().Do(rec.reqs[0])
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	answer, _ := url.ParseQuery(string(body))
	fmt.Println(resp.StatusCode, answer.Get("oauth_problem"))
	// Output: 401 timestamp_refused
}
