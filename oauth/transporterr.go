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
	case errors.Is(err, context.DeadlineExceeded):
		timeout(e, what, host)
	case errors.As(err, &dnsErr):
		e.Code = CodeDNS
		e.Message = fmt.Sprintf("the host name %s does not resolve", short(dnsErr.Name, 100))
		if dnsErr.Name == "" {
			e.Message = fmt.Sprintf("the host name of %s does not resolve", host)
		}
	case errors.As(err, &unknownCA):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is signed by an authority this machine does not trust", host)
	case errors.As(err, &hostnameErr):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is not valid for that host name", host)
		if c := hostnameErr.Certificate; c != nil && len(c.DNSNames) > 0 {
			e.Message += fmt.Sprintf(" (it names %s)", short(c.DNSNames[0], 80))
		}
	case errors.As(err, &invalidCert):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s's certificate is not valid: %s", host, certProblem(invalidCert))
	case errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &recordErr) ||
		strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("%s answered https with plain http: that port does not speak TLS", host)
	case isTLSError(err):
		e.Code = CodeTLS
		e.Message = fmt.Sprintf("the TLS handshake with %s failed", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Code = CodeConnectionRefused
		e.Message = fmt.Sprintf("nothing listens at %s", host)
	case errors.As(err, &netErr) && netErr.Timeout():
		timeout(e, what, host)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		e.Code = CodeNetwork
		e.Message = fmt.Sprintf("%s closed the connection at %s", host, what)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		e.Code = CodeNetwork
		e.Message = fmt.Sprintf("%s cannot be reached from this machine", host)
	default:
		e.Code = CodeNetwork
		e.Message = fmt.Sprintf("could not reach %s at %s", host, what)
	}
	e.Hint = fix(e.Code)
	return e
}

// certProblem names why a certificate is invalid.
func certProblem(err x509.CertificateInvalidError) string {
	switch err.Reason {
	case x509.Expired:
		return "it has expired or is not yet valid (check this machine's clock too)"
	case x509.IncompatibleUsage:
		return "it is not for servers"
	case x509.NameConstraintsWithoutSANs, x509.CANotAuthorizedForThisName:
		return "its CA may not issue it for this name"
	}
	return "it breaks a rule of certificate verification"
}

func timeout(e *Error, what, host string) {
	e.Code = CodeTimeout
	e.Message = fmt.Sprintf("%s got no answer from %s in time", what, host)
}

// isTLSError reports whether err comes from the TLS layer.
func isTLSError(err error) bool {
	var alert tls.AlertError
	var verr *tls.CertificateVerificationError
	return errors.As(err, &alert) || errors.As(err, &verr) ||
		strings.Contains(err.Error(), "tls: ")
}
