package oauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/oauth/jiratest"
)

// The whole handshake against the simulated Jira: ask for a request token,
// have the service account approve it in a browser, then Complete
// exchanges the verifier and checks who approved.
func Example() {
	key := testKey() // the consumer's *rsa.PrivateKey, e.g. from keys.LoadDir

	publicKey, err := keys.MarshalPublicKey(&key.PublicKey) // what the Jira admin pastes
	if err != nil {
		log.Fatal(err)
	}
	jira := jiratest.New(jiratest.Options{Flavor: jiratest.Server})
	jira.AddUser(jiratest.User{Name: "svc-jira", DisplayName: "Jira Align Service", Password: "s3cret"})
	if err := jira.AddConsumer("my-integration", "My integration", publicKey, ""); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(jira)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := oauth.NewConsumer(srv.URL+"/", "my-integration", key)
	if err != nil {
		log.Fatal(err)
	}
	rt, err := c.RequestToken(ctx, "oob")
	if err != nil {
		log.Fatal(err)
	}
	// Show oauth.BeforeApproval(srv.URL, "svc-jira") and rt.AuthorizeURL
	// to the person; here a simulated browser logs in and clicks Allow.
	_, verifier, err := (&jiratest.Browser{}).Approve(ctx, rt.AuthorizeURL, "svc-jira", "s3cret", true)
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Complete(ctx, rt, verifier, "svc-jira", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("approved by", res.Approver, "- verdict:", res.Verdict)
	// Output: approved by Jira Align Service (svc-jira) - verdict: match
}

// Every failure is an *Error with a code for programs and a message and a
// hint for people.
func ExampleDiagnose() {
	// Jira's answer when our clock is 15 minutes behind its own.
	resp := &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}}
	resp.Header.Set("WWW-Authenticate", `OAuth realm="jira", oauth_problem="timestamp_refused"`)
	body := []byte("oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1700000600-1700001200")

	e := oauth.Diagnose("request_token", "https://jira.example.com/plugins/servlet/oauth/request-token",
		resp, body, time.Unix(1700000000, 0))
	fmt.Println(e.Code, e.ClockSkew)
	fmt.Println(e.Message)
	fmt.Println(oauth.HintFor(e, oauth.SurfaceCLI))
	// Output:
	// timestamp_refused 900
	// Jira refused the request-token step with oauth_problem=timestamp_refused: the request's timestamp is outside Jira's window (about 5 minutes); Jira's clock is 900 s ahead of this machine's (about 15 min)
	// sync the clocks of this machine and of Jira's server with NTP (timedatectl set-ntp true), then try again
}

func ExampleNewAppLinkConfig() {
	key, err := keys.LoadPrivateKeyFile("../testdata/keys/rsa2048-pkcs1.pem")
	if err != nil {
		log.Fatal(err)
	}
	c, err := oauth.NewAppLinkConfig(oauth.ConfigInput{
		JiraURL:     "https://jira.example.com/jira/", // normalised
		ConsumerKey: "my-integration",
		PublicKey:   &key.PublicKey,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ConsumerName)
	fmt.Println(c.RequestTokenURL)
	fmt.Println(c.AuthorizeURL)
	fmt.Println(c.AccessTokenURL)
	// c.WriteText(os.Stdout) prints the whole form for a Jira admin;
	// c.WriteJSON(os.Stdout) prints it for programs.

	// Output:
	// applink: my-integration
	// https://jira.example.com/jira/plugins/servlet/oauth/request-token
	// https://jira.example.com/jira/plugins/servlet/oauth/authorize
	// https://jira.example.com/jira/plugins/servlet/oauth/access-token
}
