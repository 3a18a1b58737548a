package oauth

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"

	"github.com/applink/applink/fault"
)

// MaxCAPEM bounds a PEM of CA certificates (a link's CA setting, --ca-file).
const MaxCAPEM = 64 << 10

// ParseCAs reads the CA certificates of a PEM (one or more CERTIFICATE
// blocks) into a pool that also holds the system's CAs. It fails with
// CodeBadInput when the PEM is too large, holds something else, or no
// certificate parses.
func ParseCAs(caPEM []byte) (*x509.CertPool, error) {
	bad := func(msg string) error {
		return fault.New(CodeBadInput, msg, "give the certificates of the CA that signed Jira's certificate, "+
			"as PEM (-----BEGIN CERTIFICATE-----), not a private key")
	}
	if len(caPEM) > MaxCAPEM {
		return nil, bad("the CA certificates are larger than 64 KiB")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for rest := caPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, bad("the CA certificates hold a " + short(b.Type, 40) + " block, not only CERTIFICATE blocks")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, bad("a CA certificate does not parse")
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, bad("no PEM certificate (-----BEGIN CERTIFICATE-----) in the CA certificates")
	}
	return pool, nil
}

// ClientWithCA returns a copy of base (a new client when nil) that also
// trusts the CA certificates of caPEM, for one Jira behind a private CA.
// Verification is never skipped. An empty caPEM returns base as it is.
// It fails as ParseCAs does, or with CodeBadInput when base's Transport is
// not an *http.Transport.
func ClientWithCA(base *http.Client, caPEM []byte) (*http.Client, error) {
	if len(caPEM) == 0 {
		return base, nil
	}
	pool, err := ParseCAs(caPEM)
	if err != nil {
		return nil, err
	}
	var cl http.Client
	if base != nil {
		cl = *base
	}
	var tr *http.Transport
	switch t := cl.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, fault.New(CodeBadInput, "cannot add CA certificates to this HTTP client's transport",
			"give a client whose Transport is an *http.Transport")
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr.TLSClientConfig.RootCAs = pool
	cl.Transport = tr
	return &cl, nil
}
