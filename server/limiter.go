package server

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// The sign-in limiter slows wrong admin tokens and never refuses the right
// one: the token is checked first, and only a failure goes through the
// limiter. Each client address has a free budget of failures per window;
// past it, each failure is answered after a delay that doubles, up to a
// cap. Failures from every address together raise an alert (an audit
// event) once per alert window past a threshold, since rotating addresses
// escapes any per-address budget.
const (
	signInFree        = 5                      // failures per address and window answered at once
	signInWindow      = 15 * time.Minute       // the per-address window
	signInDelay       = 250 * time.Millisecond // the first delay past the free budget
	signInMaxDelay    = 10 * time.Second       // the longest delay
	signInAlertAt     = 100                    // failures from all addresses per alert window that raise the alert
	signInAlertWindow = time.Minute
	// maxLimiterKeys bounds the limiter's memory; past it old windows go.
	maxLimiterKeys = 10000
)

// limiter counts sign-in failures per client address and in all.
type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	fails   map[string]*window // per address, in signInWindow
	all     window             // from every address, in signInAlertWindow
	alerted bool               // the alert of the current all window was raised
}

// window is a count of failures since start.
type window struct {
	start time.Time
	n     int
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, fails: map[string]*window{}}
}

// failure is what the limiter decided about one failure.
type failure struct {
	n     int           // failures from the address in its window, this one included
	delay time.Duration // to wait before answering
	// alert is set on the failure that passes signInAlertAt in the current
	// alert window: failures from all addresses, and how many addresses
	// failed within signInWindow.
	alert            bool
	all, addressesIn int
}

// fail records a failure from key and returns what to do about it.
func (l *limiter) fail(key string) failure {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.fails[key]
	if !ok || now.Sub(w.start) >= signInWindow {
		if len(l.fails) >= maxLimiterKeys {
			l.forgetOld(now)
		}
		w = &window{start: now}
		l.fails[key] = w
	}
	w.n++
	if now.Sub(l.all.start) >= signInAlertWindow {
		l.all, l.alerted = window{start: now}, false
	}
	l.all.n++
	f := failure{n: w.n, delay: failureDelay(w.n)}
	if l.all.n >= signInAlertAt && !l.alerted {
		l.alerted = true
		f.alert, f.all, f.addressesIn = true, l.all.n, len(l.fails)
	}
	return f
}

// forgetOld drops the windows that ended, or all when none did.
func (l *limiter) forgetOld(now time.Time) {
	for k, old := range l.fails {
		if now.Sub(old.start) >= signInWindow {
			delete(l.fails, k)
		}
	}
	if len(l.fails) >= maxLimiterKeys {
		clear(l.fails)
	}
}

// failureDelay is the wait before answering the n-th failure of a window:
// none within the free budget, then signInDelay doubling up to
// signInMaxDelay.
func failureDelay(n int) time.Duration {
	if n <= signInFree {
		return 0
	}
	return min(signInDelay<<min(n-signInFree-1, 10), signInMaxDelay) // 250 ms << 10 is past the cap already
}

// signInFailed records a wrong admin token (UI or API) from the request's
// client, logs it (never the token), raises the alert when failures from
// everywhere pass the threshold, and waits the delay the limiter asks for
// before the caller answers.
func (s *Server) signInFailed(r *http.Request, msg string) {
	client := s.clientAddr(r)
	s.metrics.signIns.Inc()
	f := s.signInLimit.fail(limitKey(client))
	log := s.logger(r.Context())
	log.Warn().Stringer("client", client).Int("failures", f.n).Dur("delay", f.delay).Msg(msg)
	if f.alert {
		log.Error().Bool("audit", true).Str("event", "sign_in_failures_alert").
			Int("failures", f.all).Dur("window", signInAlertWindow).Int("addresses", f.addressesIn).
			Msg(fmt.Sprintf("%d or more wrong admin tokens within %v: someone may be guessing", signInAlertAt, signInAlertWindow))
	}
	if f.delay > 0 {
		s.conns.delayed(r.Context())
		s.sleep(r.Context(), f.delay)
	}
}

// sleep waits for d or until ctx ends (Server.sleep; tests replace it).
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// clientAddr returns the address of the request's client: the
// connection's peer, or, when the peer is a trusted proxy
// (Config.TrustedProxies), the right-most X-Forwarded-For address that is
// not in a trusted range. A header from any other peer is ignored: it can
// say anything.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Addr().Unmap()
	if !trusted(s.trustedProxies, addr) {
		return addr
	}
	return forwardedClient(r.Header.Values("X-Forwarded-For"), s.trustedProxies, addr)
}

// forwardedClient walks X-Forwarded-For from the right (the hop the
// trusted proxy added last) and returns the first address not in a
// trusted range. An entry that is not an address stops the walk at the
// last trusted hop seen (at first, the peer): what lies left of it cannot
// be trusted.
func forwardedClient(headers []string, proxies []netip.Prefix, peer netip.Addr) netip.Addr {
	client := peer
	hops := strings.Split(strings.Join(headers, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHop(strings.TrimSpace(hops[i]))
		if err != nil {
			return client
		}
		client = a
		if !trusted(proxies, a) {
			return a
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, or one with a
// port ("192.0.2.1:5000", "[2001:db8::1]:5000").
func parseHop(s string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), nil
	}
	ap, err := netip.ParseAddrPort(s)
	return ap.Addr().Unmap(), err
}

// trusted reports whether a is in one of the ranges.
func trusted(ranges []netip.Prefix, a netip.Addr) bool {
	return slices.ContainsFunc(ranges, func(p netip.Prefix) bool { return p.Contains(a) })
}

// limitKey is the limiter's key of a client address: the address, or for
// IPv6 its /64, the block one host usually holds.
func limitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// ParseTrustedProxies reads a --trusted-proxy value: comma-separated CIDR
// ranges (10.0.0.0/8, fd00::/8) or single addresses. A bad one is an
// *Error with CodeInvalidInput.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the trusted proxy %q is neither an IP address nor a CIDR range", f),
					Hint: "give the address or range of the reverse proxy in front of applink, such as 10.0.0.5 or 10.0.0.0/8"}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
