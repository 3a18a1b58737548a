package jiratest_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth/jiratest"
	"github.com/dghubble/oauth1"
)

func TestConsumerKeyUnknown(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	cfg := config(e.base, "no-such-link", consumerKey())
	resp, body := send(t, signedRequestToken(t, cfg))
	problemOf(t, resp, body, "consumer_key_unknown")
	if want := `OAuth realm="` + oauth1.PercentEncode(e.base) + `", oauth_problem="consumer_key_unknown"`; resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("WWW-Authenticate = %q, want %q", resp.Header.Get("WWW-Authenticate"), want)
	}
}

// TestSignatureInvalidForged: a forged signature is refused, and the base
// string Jira sends back is the one the consumer really signed.
func TestSignatureInvalidForged(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	req := signedRequestToken(t, e.cfg)
	p := authParams(t, req)
	orig := p["oauth_signature"]
	sig, _ := base64.StdEncoding.DecodeString(orig)
	sig[10] ^= 1
	p["oauth_signature"] = base64.StdEncoding.EncodeToString(sig)
	setAuth(req, p)
	resp, body := send(t, req)
	v := problemOf(t, resp, body, "signature_invalid")
	base := v.Get("oauth_signature_base_string")
	if !strings.HasPrefix(base, "POST&"+oauth1.PercentEncode(e.base+jiratest.PathRequestToken)+"&") {
		t.Errorf("base string %q does not start with Jira's URL", base)
	}
	sum := sha1.Sum([]byte(base))
	origSig, _ := base64.StdEncoding.DecodeString(orig)
	if err := rsa.VerifyPKCS1v15(&consumerKey().PublicKey, crypto.SHA1, sum[:], origSig); err != nil {
		t.Errorf("the consumer's genuine signature does not verify over Jira's base string: %v", err)
	}
	if v.Get("oauth_signature") != p["oauth_signature"] || v.Get("oauth_signature_method") != "RSA-SHA1" {
		t.Errorf("body = %v", v)
	}
	if h := resp.Header.Get("WWW-Authenticate"); !strings.Contains(h, `oauth_signature_base_string="`+oauth1.PercentEncode(base)+`"`) {
		t.Errorf("WWW-Authenticate lacks the base string: %s", h)
	}
}

// TestSignatureInvalidWrongKey: the public key in Jira is not the
// consumer's.
func TestSignatureInvalidWrongKey(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	cfg := config(e.base, consumerKeyName, otherKey())
	resp, body := send(t, signedRequestToken(t, cfg))
	problemOf(t, resp, body, "signature_invalid")
}

// TestSignatureInvalidBehindProxy: the consumer signs the URL it uses
// (https, another host), Jira sees another: signature_invalid.
func TestSignatureInvalidBehindProxy(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	req := signedRequestToken(t, config("https://jira.example.com", consumerKeyName, consumerKey()))
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(e.srv.URL, "http://")
	resp, body := send(t, req)
	v := problemOf(t, resp, body, "signature_invalid")
	if !strings.HasPrefix(v.Get("oauth_signature_base_string"), "POST&http%3A%2F%2F127.0.0.1") {
		t.Errorf("base string = %q, want the URL Jira sees", v.Get("oauth_signature_base_string"))
	}
}

func TestSignatureMethodRejected(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	hmac := *e.cfg
	hmac.Signer, hmac.ConsumerSecret = nil, "shared-secret"
	resp, body := send(t, signedRequestToken(t, &hmac))
	problemOf(t, resp, body, "signature_method_rejected")

	req := signedRequestToken(t, e.cfg)
	p := authParams(t, req)
	p["oauth_signature_method"] = "PLAINTEXT"
	setAuth(req, p)
	resp, body = send(t, req)
	problemOf(t, resp, body, "signature_method_rejected")
}

// TestTimestampRefused: Jira's clock is 10 minutes ahead.
func TestTimestampRefused(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	e.j.SetFaults(jiratest.Faults{ClockOffset: 10 * time.Minute})
	if e.j.Faults().ClockOffset != 10*time.Minute {
		t.Fatal("Faults did not keep the offset")
	}
	resp, body := send(t, signedRequestToken(t, e.cfg))
	v := problemOf(t, resp, body, "timestamp_refused")
	from, to, ok := strings.Cut(v.Get("oauth_acceptable_timestamps"), "-")
	f, err1 := strconv.ParseInt(from, 10, 64)
	l, err2 := strconv.ParseInt(to, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("oauth_acceptable_timestamps = %q", v.Get("oauth_acceptable_timestamps"))
	}
	jiraNow := e.now.Add(10 * time.Minute).Unix()
	if f != jiraNow-300 || l != jiraNow+300 {
		t.Errorf("acceptable %d-%d, want %d-%d", f, l, jiraNow-300, jiraNow+300)
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || date.Unix() != jiraNow {
		t.Errorf("Date = %v (%v), want Jira's clock %v", date, err, time.Unix(jiraNow, 0))
	}
	// Within the window it works again.
	e.j.SetFaults(jiratest.Faults{ClockOffset: 4 * time.Minute})
	if _, _, err := e.cfg.RequestToken(); err != nil {
		t.Errorf("4 minutes off: %v", err)
	}
}

// TestNonceUsed: the same signed request sent twice.
func TestNonceUsed(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	req := signedRequestToken(t, e.cfg)
	resp, body := send(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("first: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, req)
	problemOf(t, resp, body, "nonce_used")

	// A request refused for its signature does not spend its nonce.
	req = signedRequestToken(t, e.cfg)
	p := authParams(t, req)
	good := p["oauth_signature"]
	p["oauth_signature"] = "AAAA"
	setAuth(req, p)
	resp, body = send(t, req)
	problemOf(t, resp, body, "signature_invalid")
	p["oauth_signature"] = good
	setAuth(req, p)
	if resp, body = send(t, req); resp.StatusCode != 200 {
		t.Errorf("after a refused signature: %d %s", resp.StatusCode, body)
	}
}

func TestParameterAbsent(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	req := signedRequestToken(t, e.cfg)
	p := authParams(t, req)
	delete(p, "oauth_nonce")
	delete(p, "oauth_callback")
	setAuth(req, p)
	resp, body := send(t, req)
	v := problemOf(t, resp, body, "parameter_absent")
	if got := v.Get("oauth_parameters_absent"); got != "oauth_nonce&oauth_callback" {
		t.Errorf("oauth_parameters_absent = %q", got)
	}

	// No OAuth at all on an OAuth endpoint.
	resp, err := http.Post(e.base+jiratest.PathRequestToken, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	problemOf(t, resp, readAll(t, resp), "parameter_absent")
}

func TestParameterRejected(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	for _, c := range []struct {
		name     string
		change   func(req *http.Request, p map[string]string)
		rejected string
	}{
		{"version", func(_ *http.Request, p map[string]string) { p["oauth_version"] = "2.0" }, "oauth_version"},
		{"timestamp", func(_ *http.Request, p map[string]string) { p["oauth_timestamp"] = "12a" }, "oauth_timestamp"},
		{"negative timestamp", func(_ *http.Request, p map[string]string) { p["oauth_timestamp"] = "-5" }, "oauth_timestamp"},
		{"callback", func(_ *http.Request, p map[string]string) { p["oauth_callback"] = "javascript:alert(1)" }, "oauth_callback"},
		{"relative callback", func(_ *http.Request, p map[string]string) { p["oauth_callback"] = "/callback" }, "oauth_callback"},
		{"repeated", func(req *http.Request, _ map[string]string) { req.URL.RawQuery = "oauth_nonce=again" }, "oauth_nonce"},
		{"bad escape", func(req *http.Request, _ map[string]string) { req.URL.RawQuery = "x=%zz" }, "x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := signedRequestToken(t, e.cfg)
			p := authParams(t, req)
			c.change(req, p)
			setAuth(req, p)
			resp, body := send(t, req)
			v := problemOf(t, resp, body, "parameter_rejected")
			if got := v.Get("oauth_parameters_rejected"); got != c.rejected {
				t.Errorf("oauth_parameters_rejected = %q, want %q", got, c.rejected)
			}
		})
	}
	// A malformed Authorization header.
	req := signedRequestToken(t, e.cfg)
	req.Header.Set("Authorization", `OAuth oauth_consumer_key="x`)
	resp, body := send(t, req)
	problemOf(t, resp, body, "parameter_rejected")
}

// TestPermissionUnknown: the exchange before anyone approved.
func TestPermissionUnknown(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, rs, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, "abcdef"))
	problemOf(t, resp, body, "permission_unknown")
}

// TestRequestTokenExpired: more than 10 minutes between the request token
// and the exchange (Jira's clock moves by Faults.ClockOffset; the window
// is widened so that dghubble's real timestamps stay acceptable).
func TestRequestTokenExpired(t *testing.T) {
	e := newEnv(t, jiratest.Options{TimestampWindow: time.Hour})
	rt, rs, _, verifier := e.approve(t, svcUser, svcPass, true)
	e.j.SetFaults(jiratest.Faults{ClockOffset: 10*time.Minute + time.Second})
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, verifier))
	problemOf(t, resp, body, "token_expired")

	// An expired token can no longer be approved either.
	rt, _, err := e.cfg.RequestToken()
	if err != nil {
		t.Fatal(err)
	}
	e.j.SetFaults(jiratest.Faults{ClockOffset: 21*time.Minute + time.Second})
	au, _ := e.cfg.AuthorizationURL(rt)
	_, _, err = (&jiratest.Browser{}).Approve(t.Context(), au.String(), svcUser, svcPass, true)
	var je *fault.Error
	if !errors.As(err, &je) || je.Code != jiratest.CodeUnexpectedPage || !strings.Contains(je.Message, "expired") {
		t.Errorf("approving an expired token: %v", err)
	}
	if _, _, err := e.j.ApproveRequest(rt, svcUser, true); !errors.As(err, &je) || je.Code != jiratest.CodeTokenExpired {
		t.Errorf("ApproveRequest on an expired token: %v", err)
	}
}

// TestAccessTokenExpired: oauth_expires_in says AccessTokenTTL, and the
// token stops working after it.
func TestAccessTokenExpired(t *testing.T) {
	e := newEnv(t, jiratest.Options{AccessTokenTTL: time.Hour, TimestampWindow: 3 * time.Hour})
	rt, rs, _, verifier := e.approve(t, svcUser, svcPass, true)
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, verifier))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	v := parseForm(t, body)
	if v.Get("oauth_expires_in") != "3600" || v.Get("oauth_authorization_expires_in") != "3600" || v.Get("oauth_session_handle") == "" {
		t.Errorf("access token answer = %v", v)
	}
	tok := oauthToken(v.Get("oauth_token"), v.Get("oauth_token_secret"))
	if resp, body := e.restGet(t, tok, jiratest.PathMyself); resp.StatusCode != 200 {
		t.Fatalf("fresh token: %d %s", resp.StatusCode, body)
	}
	e.j.SetFaults(jiratest.Faults{ClockOffset: time.Hour})
	resp, body = e.restGet(t, tok, jiratest.PathMyself)
	problemOf(t, resp, body, "token_expired")
}

// TestDefaultAccessTokenLife is Jira's five years.
func TestDefaultAccessTokenLife(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	rt, rs, _, verifier := e.approve(t, svcUser, svcPass, true)
	resp, body := send(t, signedAccessToken(t, e.cfg, rt, rs, verifier))
	if v := parseForm(t, body); resp.StatusCode != 200 || v.Get("oauth_expires_in") != "157680000" {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestTokenRejected(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	tok := e.handshake(t, svcUser, svcPass)

	t.Run("unknown token", func(t *testing.T) {
		resp, body := e.restGet(t, oauthToken("no-such-token", "x"), jiratest.PathMyself)
		problemOf(t, resp, body, "token_rejected")
	})
	t.Run("request token on REST", func(t *testing.T) {
		rt, rs, err := e.cfg.RequestToken()
		if err != nil {
			t.Fatal(err)
		}
		resp, body := e.restGet(t, oauthToken(rt, rs), jiratest.PathMyself)
		problemOf(t, resp, body, "token_rejected")
	})
	t.Run("access token at access-token", func(t *testing.T) {
		resp, body := send(t, signedAccessToken(t, e.cfg, tok.Token, tok.TokenSecret, "abcdef"))
		problemOf(t, resp, body, "token_rejected")
	})
	t.Run("token of another consumer", func(t *testing.T) {
		if err := e.j.AddConsumer("other-link", "Other", publicPEM(t, otherKey()), ""); err != nil {
			t.Fatal(err)
		}
		other := config(e.base, "other-link", otherKey())
		req := signedGet(t, other, tok, e.base+jiratest.PathMyself)
		resp, body := send(t, req)
		problemOf(t, resp, body, "token_rejected")
	})
}

// TestConsumerEditDeletesTokens: editing the Application Link's incoming
// authentication (even with the same key) deletes every token, request
// tokens included.
func TestConsumerEditDeletesTokens(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	tok := e.handshake(t, svcUser, svcPass)
	rt, rs, _, verifier := e.approve(t, svcUser, svcPass, true)
	if err := e.j.AddConsumer(consumerKeyName, "Jira Align (edited)", publicPEM(t, consumerKey()), "http://consumer.example/new"); err != nil {
		t.Fatal(err)
	}
	resp, body := e.restGet(t, tok, jiratest.PathMyself)
	problemOf(t, resp, body, "token_rejected")
	resp, body = send(t, signedAccessToken(t, e.cfg, rt, rs, verifier))
	problemOf(t, resp, body, "token_rejected")
	// A new handshake works.
	tok = e.handshake(t, svcUser, svcPass)
	if resp, body := e.restGet(t, tok, jiratest.PathMyself); resp.StatusCode != 200 {
		t.Errorf("after the edit: %d %s", resp.StatusCode, body)
	}
}

func TestRemoveConsumer(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	tok := e.handshake(t, svcUser, svcPass)
	e.j.RemoveConsumer(consumerKeyName)
	resp, body := e.restGet(t, tok, jiratest.PathMyself)
	problemOf(t, resp, body, "consumer_key_unknown")
	// Registering it again does not bring the tokens back.
	if err := e.j.AddConsumer(consumerKeyName, "Jira Align", publicPEM(t, consumerKey()), ""); err != nil {
		t.Fatal(err)
	}
	resp, body = e.restGet(t, tok, jiratest.PathMyself)
	problemOf(t, resp, body, "token_rejected")
}

// TestRevokeAccessTokens revokes the tokens one user approved, and only
// those.
func TestRevokeAccessTokens(t *testing.T) {
	e := newEnv(t, jiratest.Options{})
	svc := e.handshake(t, svcUser, svcPass)
	admin := e.handshake(t, adminUser, adminPass)
	e.j.RevokeAccessTokens("ALEX.ADMIN")
	resp, body := e.restGet(t, admin, jiratest.PathMyself)
	problemOf(t, resp, body, "token_rejected")
	if resp, body := e.restGet(t, svc, jiratest.PathMyself); resp.StatusCode != 200 {
		t.Errorf("the service account's token: %d %s", resp.StatusCode, body)
	}
}

// TestAddConsumerKeyForms: Jira's Public Key field takes SPKI PEM or its
// bare base64 body, and refuses PKCS#1.
func TestAddConsumerKeyForms(t *testing.T) {
	j := jiratest.New(jiratest.Options{})
	pemKey := publicPEM(t, consumerKey())
	body := strings.Join(strings.Split(string(pemKey), "\n")[1:len(strings.Split(string(pemKey), "\n"))-2], "\n")
	if err := j.AddConsumer("bare", "", []byte(body), ""); err != nil {
		t.Errorf("bare base64: %v", err)
	}
	pkcs1 := strings.ReplaceAll(string(pemKey), "PUBLIC KEY", "RSA PUBLIC KEY")
	if err := j.AddConsumer("pkcs1", "", []byte(pkcs1), ""); fault.CodeOf(err) != keys.CodePKCS1Public {
		t.Errorf("a PKCS#1 public key: err = %v, want keys.CodePKCS1Public", err)
	}
	if err := j.AddConsumer("garbage", "", []byte("not a key"), ""); err == nil {
		t.Error("garbage was accepted")
	}
	var je *fault.Error
	if err := j.AddConsumer(" ", "", pemKey, ""); !errors.As(err, &je) || je.Code != jiratest.CodeBadInput {
		t.Errorf("empty consumer key: %v", err)
	}
}
