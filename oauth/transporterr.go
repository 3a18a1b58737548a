package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// DiagnoseTransport turns a failure to get any answer (DNS, refused
// connection, TLS, timeout, cancellation) into an *Error. The returned
// error's Message and Hint name the host but never hold err's text, which
// may quote a URL; err stays in Error.Err for logs. A nil err gives nil.
func DiagnoseTransport(step, url string, err error) *Error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return already
	}
	e := &Error{Step: step, URL: withoutQuery(url), Err: err}
	what := stepLabel(step)
	host := short(hostOf(url), 100)
	if host == "" {
		host = "Jira"
	}
	var (
		dnsErr      *net.DNSError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidCert x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		netErr      net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		e.Code = CodeCanceled
		e.Message = fmt.Sprintf("%s was canceled", what)
		e.Hint = "nothing to fix: the caller stopped waiting"
	case errors.Is(err, context.DeadlineExceeded):
		timeout(e, what, host)
	case errors.As(err, &dnsErr):
		e.Code = CodeDNS
		e.Message = fmt.Sprintf("the host name %s does not resolve", short(dnsErr.Name, 100))
		if dnsErr.Name == "" {
			e.Message = fmt.Sprintf("the host name of %s does not resolve", host)
		}
		e.Hint = "check the spelling of the Jira URL, and the VPN or DNS this machine uses"
	case errors.As(err, &unknownCA):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is signed by an authority this machine does not trust", host)
		e.Hint = "Jira uses a private CA: add the CA's certificate to the system trust store " +
			"(update-ca-certificates) or point SSL_CERT_FILE at a PEM file that holds it"
	case errors.As(err, &hostnameErr):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is not valid for that host name", host)
		e.Hint = "use the host name the certificate names (open the URL in a browser to see it)"
		if c := hostnameErr.Certificate; c != nil && len(c.DNSNames) > 0 {
			e.Hint = fmt.Sprintf("use a host name the certificate names, such as %s", short(c.DNSNames[0], 80))
		}
	case errors.As(err, &invalidCert):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is not valid (expired, not yet valid, or not for servers)", host)
		e.Hint = "renew Jira's certificate, and check this machine's clock"
	case errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &recordErr) ||
		strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s answered https with plain http", host)
		e.Hint = "that port does not speak TLS: use http:// or the https port in the Jira URL"
	case isTLSError(err):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("the TLS handshake with %s failed", host)
		e.Hint = "check the Jira URL's port and that Jira's certificate is valid for it"
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Code = CodeConnectionRefused
		e.Message = fmt.Sprintf("nothing listens at %s", host)
		e.Hint = "check the host and port of the Jira URL, and that Jira is running"
	case errors.As(err, &netErr) && netErr.Timeout():
		timeout(e, what, host)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		e.Code = CodeNetwork
		e.Message = fmt.Sprintf("%s closed the connection at %s", host, what)
		e.Hint = "a proxy or firewall may be in the way, or the port does not speak this protocol: check the Jira URL"
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		e.Code = CodeNetwork
		e.Message = fmt.Sprintf("%s cannot be reached from this machine", host)
		e.Hint = "check the network, VPN and proxy settings (HTTPS_PROXY)"
	default:
		e.Code = CodeNetwork
		e.Message = fmt.Sprintf("could not reach %s at %s", host, what)
		e.Hint = "check the Jira URL, the network, VPN and proxy settings (HTTPS_PROXY)"
	}
	return e
}

func timeout(e *Error, what, host string) {
	e.Code = CodeTimeout
	e.Message = fmt.Sprintf("%s got no answer from %s in time", what, host)
	e.Hint = "check that the Jira URL is reachable from this machine (VPN, proxy, firewall), " +
		"or allow more time (--timeout)"
}

// isTLSError reports whether err comes from the TLS layer.
func isTLSError(err error) bool {
	var alert tls.AlertError
	var verr *tls.CertificateVerificationError
	return errors.As(err, &alert) || errors.As(err, &verr) ||
		strings.Contains(err.Error(), "tls: ")
}
