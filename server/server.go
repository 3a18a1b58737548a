// Package server is applink's web service: a JSON API and server-rendered
// pages with which a super admin creates links between integrations and
// Jira sites, runs the OAuth 1.0a handshake (directly or through an approval
// link sent to the service account's owner), sees who approved each token
// and exports the credentials.
//
// Everything Jira-related goes through package oauth; keys are made and
// described by package keys; state lives in the data folder of package
// server/store. The whole app, middleware included, is Server.Handler.
package server

import (
	"cmp"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// What to do when a token is approved by someone other than the link's
// designated service account (Config.OnMismatch).
const (
	// MismatchWarn keeps the token, marks the link authorized and shows the
	// mismatch warning everywhere.
	MismatchWarn = "warn"
	// MismatchReject throws the token away and marks the link failed
	// (last_error "wrong_approver"); a token approved earlier is kept.
	MismatchReject = "reject"
)

// Config configures a Server.
type Config struct {
	// Store is the data folder, opened by the caller (who also closes it).
	Store *store.Store
	// PublicURL is how browsers reach applink, such as
	// "http://127.0.0.1:8080" or "https://applink.example.com". Callbacks
	// (PublicURL + "/oauth/callback") and approval links are built from it.
	// It has no path: applink is served at the root of its host.
	PublicURL string
	// OnMismatch is MismatchWarn (the default when empty) or
	// MismatchReject.
	OnMismatch string
	// AdminToken signs the admin in: a Bearer token for the API, the
	// sign-in form for the UI. Required; see AdminTokenFrom.
	AdminToken string
	// Logger receives the access log, audit events and errors. It never
	// receives a secret.
	Logger zerolog.Logger
	// HTTPClient sends the calls to Jira; nil means a client with a
	// timeout that does not follow redirects (so that package oauth can
	// diagnose them).
	HTTPClient *http.Client
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// JiraHosts, when not empty, are the only Jira hosts links may point
	// at (patterns of ParseJiraHosts), checked when a link is made and
	// before each call to its Jira.
	JiraHosts []string
	// LookupIP resolves a Jira host when a link is made, to refuse one at
	// a link-local or metadata address (net.DefaultResolver when nil).
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// MaxConnections caps the connections Serve holds open
	// (DefaultMaxConnections when zero); see connLimit.
	MaxConnections int
	// HealthInterval is how often Serve checks every authorized link's
	// token (CheckHealth); 0 turns the periodic check off.
	HealthInterval time.Duration
	// Metrics turns GET /metrics on (metrics); MetricsToken, when set,
	// is the bearer token its scraper must send.
	Metrics      bool
	MetricsToken string
	// NotifyURL, when set, receives a JSON event (notifier) when a link's
	// verdict or token health changes.
	NotifyURL string
	// SessionLifetime is how long a sign-in in the browser lasts
	// (DefaultSessionLifetime when zero; at least a minute).
	SessionLifetime time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (see ParseTrustedProxies); from any other peer the
	// connection's address is the client's.
	TrustedProxies []netip.Prefix
	// OIDC, when set, signs admins in through an OpenID Connect provider.
	OIDC *OIDC
}

// Server is applink's web service. Build it with New.
type Server struct {
	store       *store.Store
	publicURL   string // no trailing slash
	callbackURL string
	onMismatch  string
	adminToken  secret
	log         zerolog.Logger
	client      *http.Client
	jiraHosts   []string // allowed Jira host patterns; empty: any
	lookupIP    func(ctx context.Context, host string) ([]netip.Addr, error)
	now         func() time.Time
	healthEvery time.Duration // Config.HealthInterval
	metrics     *metrics
	notify      *notifier // nil when off

	secureCookies bool
	pages         map[string]*template.Template

	sessions       *sessionStore
	oidc           *oidcLogin // nil: no OpenID sign-in
	signInLimit    *limiter
	trustedProxies []netip.Prefix
	// sleep waits before answering a wrong admin token; tests replace it.
	sleep func(context.Context, time.Duration)

	// newKey makes a link's key pair; tests replace it to save time.
	newKey func() (*rsa.PrivateKey, error)

	// mu serialises read-modify-write of link records and tokens.
	mu sync.Mutex
	// callbacks runs the callbacks of one handshake one at a time.
	callbacks keyLock
	// health is the last write probe of /healthz.
	health healthProbe
	// conns caps Serve's open connections.
	conns *connLimit
	// pendingMu guards starting, the handshakes being started per link.
	pendingMu sync.Mutex
	starting  map[string]int
	// configs caches each link's Application Link configuration.
	configs sync.Map // name → *oauth.AppLinkConfig
	// saveErrs holds, per link, the failure to save its latest callback's
	// outcome, until a write of its record succeeds.
	saveErrs sync.Map // name → *Error
	// recent keeps each callback's outcome for reloads of its page.
	recent recentOutcomes

	handler http.Handler
}

// Timeouts of the HTTP server and of calls to Jira.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	// writeTimeout leaves room for a callback, which calls Jira twice
	// (access token, myself), each bounded by oauth.DefaultTimeout.
	writeTimeout    = 2*oauth.DefaultTimeout + 30*time.Second
	idleTimeout     = 2 * time.Minute
	shutdownTimeout = 10 * time.Second
)

// New checks cfg and returns a Server. It reads (making them when missing)
// the session keys of the data folder, and ends the sessions made with
// another admin token and those expired.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: Config.Store is required")
	}
	public, err := ParsePublicURL(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	mode, err := ParseMismatchMode(cfg.OnMismatch)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(cfg.AdminToken)
	if err := store.CheckAdminToken(token); err != nil {
		return nil, fmt.Errorf("server: the admin token is not usable: %v (%s)", err, store.AdminTokenHint)
	}
	lifetime := cmp.Or(cfg.SessionLifetime, DefaultSessionLifetime)
	if err := CheckSessionLifetime(lifetime); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := cfg.HTTPClient
	jiraHosts, err := ParseJiraHosts(strings.Join(cfg.JiraHosts, ","))
	if err != nil {
		return nil, err
	}
	lookupIP := cfg.LookupIP
	if lookupIP == nil {
		lookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	hashKey, encKey, err := cfg.Store.SessionKeys()
	if err != nil {
		return nil, fmt.Errorf("server: reading the session keys: %w", err)
	}
	oidcLogin, err := newOIDC(cfg.OIDC)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	notify, err := newNotifier(cfg.NotifyURL, cfg.Logger, now)
	if err != nil {
		return nil, err
	}
	secure := !strings.HasPrefix(public, "http:")
	s := &Server{
		store:         cfg.Store,
		publicURL:     public,
		callbackURL:   public + CallbackPath,
		onMismatch:    mode,
		adminToken:    secret(token),
		log:           cfg.Logger,
		client:        client,
		jiraHosts:     jiraHosts,
		lookupIP:      lookupIP,
		conns:         newConnLimit(cfg.MaxConnections),
		starting:      map[string]int{},
		now:           now,
		healthEvery:   cfg.HealthInterval,
		notify:        notify,
		secureCookies: secure,
		pages:         pages,
		newKey:        func() (*rsa.PrivateKey, error) { return keys.Generate(keys.DefaultBits) },

		sessions:       newSessionStore(cfg.Store, hashKey, encKey, secret(token), lifetime, secure, now),
		oidc:           oidcLogin,
		signInLimit:    newLimiter(now),
		trustedProxies: slices.Clone(cfg.TrustedProxies),
		sleep:          sleep,
	}
	if s.client == nil {
		s.client = s.newJiraClient(oauth.DefaultTimeout)
	}
	s.metrics = newMetrics(s, cfg.Metrics, cfg.MetricsToken)
	if err := s.pruneSessions(); err != nil {
		return nil, err
	}
	s.handler, err = s.middleware(s.routes())
	if err != nil {
		return nil, err
	}
	// Files of the data folder that could not be read are reported, not
	// skipped silently (their messages name files and hold no secret).
	for _, p := range cfg.Store.Problems() {
		s.log.Warn().Str("problem", p).Msg("the data folder has a damaged or unreadable file")
	}
	return s, nil
}

// ParsePublicURL checks a public URL (Config.PublicURL): an absolute
// http(s) URL of just scheme, host and port, since applink is served at the
// root of its host. It returns the URL with the host in lower case and no
// trailing slash; a bad one is an *Error with CodeInvalidInput.
func ParsePublicURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the public URL %q is not an absolute http(s) URL", raw),
			Hint: "give the address browsers reach applink at, such as https://applink.example.com"}
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the public URL %q has more than scheme, host and port", raw),
			Hint: "applink is served at the root of its host: give just that, such as https://applink.example.com"}
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// ParseMismatchMode checks an on-mismatch policy (Config.OnMismatch) and
// returns it: MismatchWarn (also for "") or MismatchReject. Anything else
// is an *Error with CodeInvalidInput.
func ParseMismatchMode(s string) (string, error) {
	switch s {
	case "", MismatchWarn:
		return MismatchWarn, nil
	case MismatchReject:
		return s, nil
	}
	return "", &Error{Code: CodeInvalidInput, Message: fmt.Sprintf("the on-mismatch policy %q is neither %q nor %q", s, MismatchWarn, MismatchReject),
		Hint: MismatchWarn + " keeps a token approved by the wrong account and warns; " + MismatchReject + " throws it away"}
}

// Handler returns the whole app, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves the app on ln until ctx ends, then shuts down gracefully,
// letting requests in flight finish (for at most 10 seconds). It returns
// nil after a clean shutdown. It holds at most Config.MaxConnections
// connections open (connLimit).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(s.log.With().Str("component", "http").Logger(), "", 0),
		ConnState:         s.conns.track,
		ConnContext:       s.conns.withConn,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(s.conns.listen(ln)) }()
	go s.notify.run(ctx)
	if s.healthEvery > 0 {
		t := time.NewTicker(s.healthEvery)
		defer t.Stop()
		go s.healthLoop(ctx, t.C)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.log.Info().Msg("shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// logger returns the request's logger when ctx has one, else the server's.
func (s *Server) logger(ctx context.Context) *zerolog.Logger {
	l := zerolog.Ctx(ctx)
	if l == zerolog.DefaultContextLogger || l.GetLevel() == zerolog.Disabled {
		return &s.log
	}
	return l
}

// audit starts an audit event: field "audit": true, the event name, the
// link and, in a signed-in request, "by": who signed in (see byKey).
// Callers add non-secret fields and call Msg.
func (s *Server) audit(ctx context.Context, event, link string) *zerolog.Event {
	s.metrics.events.WithLabelValues(event).Inc()
	ev := s.logger(ctx).Info().Bool("audit", true).Str("event", event).Str("link", link)
	if by, ok := ctx.Value(byKey{}).(string); ok {
		ev = ev.Str("by", by)
	}
	return ev
}
