package jiratest

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestBaseStringRFC5849 is the known answer of RFC 5849 3.4.1.1: query,
// Authorization header (realm excluded) and form body all take part,
// repeated names (a3) included.
func TestBaseStringRFC5849(t *testing.T) {
	r := httptest.NewRequest("POST", "/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", strings.NewReader("c2&a3=2+q"))
	r.Host = "example.com"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", `OAuth realm="Example",
                oauth_consumer_key="9djdj82h48djs9d2",
                oauth_token="kkk9d7dh3k39sjv7",
                oauth_signature_method="HMAC-SHA1",
                oauth_timestamp="137131201",
                oauth_nonce="7d8f3e4a",
                oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`)
	m, err := readMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	const want = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q" +
		"%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_" +
		"key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m" +
		"ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk" +
		"9d7dh3k39sjv7"
	if got := m.baseString(); got != want {
		t.Errorf("base string\n got %s\nwant %s", got, want)
	}
	if got := m.get("oauth_signature"); got != "bYT5CMsGcbgUdFHObYMEfcx6bsw=" {
		t.Errorf("oauth_signature = %q, want it percent-decoded", got)
	}
	if !m.hasOAuth || m.bad != "" || len(m.repeated) != 0 {
		t.Errorf("hasOAuth=%v bad=%q repeated=%v", m.hasOAuth, m.bad, m.repeated)
	}
}

// oauthNetCert is the certificate of the oauth.net RSA-SHA1 test case
// (photos.example.net, consumer key dpf43f3p2l4k3l03).
const oauthNetCert = `-----BEGIN CERTIFICATE-----
MIIBpjCCAQ+gAwIBAgIBATANBgkqhkiG9w0BAQUFADAZMRcwFQYDVQQDDA5UZXN0
IFByaW5jaXBhbDAeFw03MDAxMDEwODAwMDBaFw0zODEyMzEwODAwMDBaMBkxFzAV
BgNVBAMMDlRlc3QgUHJpbmNpcGFsMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKB
gQC0YjCwIfYoprq/FQO6lb3asXrxLlJFuCvtinTF5p0GxvQGu5O3gYytUvtC2JlY
zypSRjVxwxrsuRcP3e641SdASwfrmzyvIgP08N4S0IFzEURkV1wp/IpH7kH41Etb
mUmrXSwfNZsnQRE5SYSOhh+LcK2wyQkdgcMv11l4KoBkcwIDAQABMA0GCSqGSIb3
DQEBBQUAA4GBAGZLPEuJ5SiJ2ryq+CmEGOXfvlTtEL2nuGtr9PewxkgnOjZpUy+d
4TvuXJbNQc8f4AMWL/tO9w0Fk80rWKp9ea8/df4qMq5qlFWlx6yOLQxumNOmECKb
WpkUQDIDJEoFUzKMVuJf4KO/FJ345+BNLGgbJ6WujreoM1X/gYfdnJ/J
-----END CERTIFICATE-----`

// TestRSASHA1OAuthNet is the known answer of the oauth.net RSA-SHA1 test
// case: the base string built from the request, and its signature
// verified with the published certificate.
func TestRSASHA1OAuthNet(t *testing.T) {
	block, _ := pem.Decode([]byte(oauthNetCert))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	r := httptest.NewRequest("GET", "/photos?file=vacaction.jpg&size=original", nil)
	r.Host = "photos.example.net"
	r.Header.Set("Authorization", `OAuth oauth_consumer_key="dpf43f3p2l4k3l03", oauth_signature_method="RSA-SHA1", `+
		`oauth_signature="jvTp%2FwX1TYtByB1m%2BPbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2%2F9n4s5wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW%2F%2Fe%2BRinhejgCuzoH26dyF8iY2ZZ%2F5D1ilgeijhV%2FvBka5twt399mXwaYdCwFYE%3D", `+
		`oauth_timestamp="1196666512", oauth_nonce="13917289812797014437", oauth_version="1.0"`)
	m, err := readMessage(r)
	if err != nil {
		t.Fatal(err)
	}
	const wantBase = "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal"
	base := m.baseString()
	if base != wantBase {
		t.Fatalf("base string\n got %s\nwant %s", base, wantBase)
	}
	if !verifyRSASHA1(pub, base, m.get("oauth_signature")) {
		t.Error("the published signature does not verify")
	}
	if verifyRSASHA1(pub, base+"x", m.get("oauth_signature")) {
		t.Error("a signature verifies over another base string")
	}
	if verifyRSASHA1(pub, base, "not base64!") || verifyRSASHA1(nil, base, m.get("oauth_signature")) {
		t.Error("garbage verifies")
	}
}

func TestPercentEncode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"abcABC123", "abcABC123"},
		{"-._~", "-._~"},
		{"%", "%25"},
		{"+", "%2B"},
		{"&=*", "%26%3D%2A"},
		{" ", "%20"},
		{"\n", "%0A"},
		{"\u2708", "%E2%9C%88"},
		{"Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"},
		{"An encoded string!", "An%20encoded%20string%21"},
		{"Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"},
		{"", ""},
	} {
		if got := percentEncode(c.in); got != c.want {
			t.Errorf("percentEncode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBaseStringURI(t *testing.T) {
	for _, c := range []struct {
		target, host string
		tls          bool
		want         string
	}{
		{"/jira/rest/api/2/myself?x=1", "Jira.Example.COM", false, "http://jira.example.com/jira/rest/api/2/myself"},
		{"/a", "example.com:80", false, "http://example.com/a"},
		{"/a", "example.com:443", false, "http://example.com:443/a"},
		{"/a", "example.com:443", true, "https://example.com/a"},
		{"/a", "example.com:8080", true, "https://example.com:8080/a"},
		{"/a%2Fb/c", "example.com", false, "http://example.com/a%2Fb/c"},
		{"http://example.com/abs?q", "example.com", false, "http://example.com/abs"},
	} {
		r := httptest.NewRequest("GET", c.target, nil)
		r.Host = c.host
		r.TLS = nil
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := baseStringURI(r); got != c.want {
			t.Errorf("%s on %s (tls %v): got %s, want %s", c.target, c.host, c.tls, got, c.want)
		}
	}
}

func TestParseAuthorizationHeader(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []param
		wantErr bool
		notAuth bool
	}{
		{in: `OAuth realm="r", oauth_token="a%20b"`, want: []param{{"realm", "r"}, {"oauth_token", "a b"}}},
		{in: `oauth oauth_token="x",oauth_nonce="y"`, want: []param{{"oauth_token", "x"}, {"oauth_nonce", "y"}}},
		{in: "OAuth\toauth_token = \"x\" ,\n oauth_nonce=y", want: []param{{"oauth_token", "x"}, {"oauth_nonce", "y"}}},
		{in: `OAuth oauth_signature="a+b%2B"`, want: []param{{"oauth_signature", "a+b+"}}},
		{in: `OAuth`, want: nil},
		{in: `OAuth oauth_token=""`, want: []param{{"oauth_token", ""}}},
		{in: `Basic dXNlcjpwYXNz`, notAuth: true},
		{in: `Bearer x`, notAuth: true},
		{in: `OAuthx a="b"`, notAuth: true},
		{in: ``, notAuth: true},
		{in: `OAuth oauth_token`, wantErr: true},
		{in: `OAuth oauth_token="x`, wantErr: true},
		{in: `OAuth oauth_token="%zz"`, wantErr: true},
		{in: `OAuth oauth_token="x" oauth_nonce="y"`, wantErr: true},
		{in: `OAuth ="x"`, wantErr: true},
	} {
		got, err := parseAuthorizationHeader(c.in)
		switch {
		case c.notAuth:
			if err != errNotOAuth {
				t.Errorf("%q: err = %v, want errNotOAuth", c.in, err)
			}
		case c.wantErr:
			if err == nil || err == errNotOAuth {
				t.Errorf("%q: err = %v, want a parse error", c.in, err)
			}
		default:
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("%q: got %v, %v; want %v", c.in, got, err, c.want)
			}
		}
	}
}

func TestParseForm(t *testing.T) {
	got, bad := parseForm("a=1&a=2&&b&c=x+y%21&=v")
	want := []param{{"a", "1"}, {"a", "2"}, {"b", ""}, {"c", "x y!"}, {"", "v"}}
	if bad != "" || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, bad %q; want %v", got, bad, want)
	}
	if _, bad := parseForm("ok=1&bad%zz=2"); bad != "bad%zz" {
		t.Errorf("bad escape: bad = %q, want bad%%zz", bad)
	}
}

func TestNormalizeParametersSortsByNameThenValue(t *testing.T) {
	got := normalizeParameters([]param{{"b", "2"}, {"a", "z"}, {"a", "y"}, {"oauth_signature", "s"}, {"a b", "1"}})
	const want = "a=y&a=z&a%20b=1&b=2"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzParseAuthorizationHeader(f *testing.F) {
	for _, s := range []string{
		`OAuth realm="r", oauth_token="a%20b"`,
		`OAuth oauth_token="x`,
		"oauth a=b,c=\"d\"",
		`OAuth ,,, a="%"`,
		`Basic x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ps, err := parseAuthorizationHeader(h)
		if err != nil && ps != nil {
			t.Errorf("params returned with an error: %v", ps)
		}
		for _, p := range ps {
			if p.name == "" {
				t.Errorf("an empty parameter name from %q", h)
			}
		}
	})
}

func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"a=1&a=2", "b5=%3D%253D&c%40=", "%", "&&=&", "x=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, bad := parseForm(s)
		if bad != "" {
			return
		}
		// What parses re-encodes to something that parses the same way.
		var b strings.Builder
		for i, p := range ps {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(percentEncode(p.name) + "=" + percentEncode(p.value))
		}
		again, bad := parseForm(b.String())
		if bad != "" {
			t.Fatalf("re-encoded form does not parse: %s", bad)
		}
		if len(again) != len(ps) {
			// Empty names with empty values vanish ("=" is skipped as an
			// empty pair only when it is literally empty), so compare
			// element by element where both exist.
			for _, p := range ps {
				if p.name != "" || p.value != "" {
					t.Fatalf("round trip lost parameters: %v -> %v", ps, again)
				}
			}
			return
		}
		for i := range ps {
			if ps[i] != again[i] {
				t.Fatalf("round trip changed %v into %v", ps[i], again[i])
			}
		}
	})
}
