package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
)

// FuzzLinkInput feeds arbitrary bodies to the JSON decoding and checking
// of POST /api/links: never a panic, every refusal an *Error with a 400
// code, and every accepted input a valid link.
func FuzzLinkInput(f *testing.F) {
	for _, s := range []string{
		`{"name":"prod","jira_url":"https://jira.example.com","service_account":"svc"}`,
		`{"name":"a_b-1","jira_url":"http://j/jira/","service_account":"x","consumer_key":"k","consumer_name":"n","environment":"e"}`,
		`{"name":"../x","jira_url":"ftp://x","service_account":""}`,
		`{"name":1}`, `{"extra":true}`, `[]`, `null`, `{"name":"x"}{}`, "{\"name\":\"\\u0000\"}", ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in LinkInput
		err := decodeJSONFrom(strings.NewReader(body), &in)
		if err == nil {
			l, nerr := normalize(in)
			if nerr == nil {
				if !validName(l.Name) || l.ServiceAccount == "" || oauth.CheckConsumerKey(l.ConsumerKey) != nil ||
					!(strings.HasPrefix(l.JiraURL, "http://") || strings.HasPrefix(l.JiraURL, "https://")) {
					t.Fatalf("accepted an invalid link: %+v", l)
				}
				return
			}
			err = nerr
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("refusal is not an *Error: %v", err)
		}
		if s := Status(e.Code); s != 400 || e.Message == "" {
			t.Fatalf("refusal %+v has status %d", e, s)
		}
	})
}
