package server

import (
	"errors"
	"net/url"
	"strings"
	"testing"
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
				if !validName(l.Name) || l.ServiceAccount == "" || l.ConsumerKey == "" ||
					strings.ContainsAny(l.ConsumerKey, " \t\r\n") ||
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
		if s := e.Status(); s != 400 || e.Message == "" {
			t.Fatalf("refusal %+v has status %d", e, s)
		}
	})
}

// FuzzCallbackParams feeds arbitrary queries to the callback's parser:
// never a panic; accepted parameters are present once, non-empty, short.
func FuzzCallbackParams(f *testing.F) {
	for _, s := range []string{
		"oauth_token=abc&oauth_verifier=123456", "oauth_token=a&oauth_token=b&oauth_verifier=c",
		"oauth_verifier=denied&oauth_token=t", "%zz", "oauth_token=&oauth_verifier=", ";;&&==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		token, verifier, err := callbackParams(raw)
		if err != nil {
			if token != "" || verifier != "" {
				t.Fatal("values returned with an error")
			}
			return
		}
		q, qerr := url.ParseQuery(raw)
		if qerr != nil || len(q["oauth_token"]) != 1 || len(q["oauth_verifier"]) != 1 {
			t.Fatalf("accepted %q", raw)
		}
		if token == "" || verifier == "" || len(token) > maxCallbackParam || len(verifier) > maxCallbackParam {
			t.Fatalf("accepted token %q verifier %q", token, verifier)
		}
	})
}
