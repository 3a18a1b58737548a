package oauth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/applink/applink/oauth"
)

// get sends one GET with client and diagnoses the failure.
func get(t *testing.T, ctx context.Context, client *http.Client, url string) *oauth.Error {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s succeeded; want a transport failure", url)
	}
	return oauth.DiagnoseTransport("request_token", url, err)
}

func checkTransport(t *testing.T, e *oauth.Error, code oauth.Code, hint ...string) {
	t.Helper()
	if e.Code != code {
		t.Errorf("code = %s, want %s (%v)", e.Code, code, e.Err)
	}
	if e.Err == nil || e.Step != "request_token" || e.Status != 0 {
		t.Errorf("Err %v, Step %q, Status %d: want the cause kept, the step, no status", e.Err, e.Step, e.Status)
	}
	for _, h := range hint {
		if !strings.Contains(e.Hint, h) {
			t.Errorf("Hint %q lacks %q", e.Hint, h)
		}
	}
	if strings.Contains(e.Error(), "?") {
		t.Errorf("Error() quotes the URL's query: %s", e.Error())
	}
}

func TestDiagnoseTransportRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := get(t, context.Background(), &http.Client{Timeout: 5 * time.Second}, "http://"+addr+"/x?oauth_token=t")
	checkTransport(t, e, oauth.CodeConnectionRefused, "host and port")
	if !strings.Contains(e.Message, addr) {
		t.Errorf("Message %q does not name %s", e.Message, addr)
	}
	if e.URL != "http://"+addr+"/x" {
		t.Errorf("URL = %q, want it without the query", e.URL)
	}
}

func TestDiagnoseTransportUnknownAuthority(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}} // system roots only
	e := get(t, context.Background(), client, srv.URL)
	checkTransport(t, e, oauth.CodeTLS, "private CA")
	if !strings.Contains(e.Message, "authority this machine does not trust") || !strings.Contains(oauth.HintFor(e, oauth.SurfaceCLI), "--ca-file") {
		t.Errorf("%s / CLI hint %q", e.Message, oauth.HintFor(e, oauth.SurfaceCLI))
	}
}

func TestDiagnoseTransportHostnameMismatch(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "jira.wrong-name.test"}}}
	e := get(t, context.Background(), client, srv.URL)
	checkTransport(t, e, oauth.CodeTLS, "host name")
}

// TestDiagnoseTransportExpired: a certificate past its NotAfter (the
// client's clock moved a century ahead of httptest's certificate) is named
// as expired, not as an unknown authority.
func TestDiagnoseTransportExpired(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	later := func() time.Time { return srv.Certificate().NotAfter.AddDate(1, 0, 0) }
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Time: later}}}
	e := get(t, context.Background(), client, srv.URL)
	checkTransport(t, e, oauth.CodeTLS)
	if !strings.Contains(e.Message, "expired") || strings.Contains(e.Message, "does not trust") {
		t.Errorf("Message %q does not name the expiry", e.Message)
	}
}

func TestDiagnoseTransportTLSToPlainPort(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	url := "https://" + strings.TrimPrefix(srv.URL, "http://")
	e := get(t, context.Background(), &http.Client{Timeout: 5 * time.Second}, url)
	checkTransport(t, e, oauth.CodeTLS)
	if !strings.Contains(e.Message, "does not speak TLS") {
		t.Errorf("Message %q", e.Message)
	}
}

func TestDiagnoseTransportTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e := get(t, ctx, srv.Client(), srv.URL)
	checkTransport(t, e, oauth.CodeTimeout, "reachable")
	if !strings.Contains(oauth.HintFor(e, oauth.SurfaceCLI), "--timeout") {
		t.Errorf("CLI hint %q", oauth.HintFor(e, oauth.SurfaceCLI))
	}

	// The client's own Timeout is a timeout too.
	client := srv.Client()
	client.Timeout = 50 * time.Millisecond
	e = get(t, context.Background(), client, srv.URL)
	checkTransport(t, e, oauth.CodeTimeout)
}

func TestDiagnoseTransportCanceled(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := get(t, ctx, srv.Client(), srv.URL)
	checkTransport(t, e, oauth.CodeCanceled)
}

func TestDiagnoseTransportBuiltErrors(t *testing.T) {
	tests := []struct {
		err  error
		code oauth.Code
	}{
		{&net.DNSError{Err: "no such host", Name: "jira.example.invalid", IsNotFound: true}, oauth.CodeDNS},
		{&net.OpError{Op: "dial", Err: &net.DNSError{Name: "x", IsTimeout: true}}, oauth.CodeDNS},
		{x509.CertificateInvalidError{Reason: x509.Expired}, oauth.CodeTLS},
		{tls.AlertError(40), oauth.CodeTLS},
		{errors.New("something else"), oauth.CodeNetwork},
		{&oauth.Error{Code: oauth.CodeBadInput, Message: "already diagnosed"}, oauth.CodeBadInput},
	}
	for _, tt := range tests {
		e := oauth.DiagnoseTransport("myself", "https://jira.example.com/rest/api/2/myself", tt.err)
		if e.Code != tt.code {
			t.Errorf("%v: code %s, want %s", tt.err, e.Code, tt.code)
		}
		if e.Message == "" {
			t.Errorf("%v: no message", tt.err)
		}
	}
	if e := oauth.DiagnoseTransport("myself", "x", nil); e != nil {
		t.Errorf("DiagnoseTransport(nil) = %v, want nil", e)
	}
	e := oauth.DiagnoseTransport("myself", "https://jira.example.com/", &net.DNSError{Name: "jira.example.invalid", IsNotFound: true})
	if !strings.Contains(e.Message, "jira.example.invalid") {
		t.Errorf("DNS message %q does not name the host", e.Message)
	}
}
