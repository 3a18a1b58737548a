package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/applink/applink/server/store"
)

// The links' facts, read from the data folder at each scrape (Collect).
// Label values are link names, states, verdicts and codes: never a secret
// or a user name.
var (
	descLink    = prometheus.NewDesc("applink_link", "1 per link, with its state and the verdict on its token's approver (none without a token).", []string{"link", "state", "verdict"}, nil)
	descLastErr = prometheus.NewDesc("applink_link_last_error", "1 per link whose latest handshake or token health check failed, with the failure's code.", []string{"link", "code"}, nil)
	descExpiry  = prometheus.NewDesc("applink_token_expiry_timestamp_seconds", "When each link's token expires (Unix time); absent when Jira gave no expiry.", []string{"link"}, nil)
	descHealth  = prometheus.NewDesc("applink_token_health_ok", "The latest token health check of each link since applink started: 1 healthy, 0 not.", []string{"link"}, nil)
	descChecked = prometheus.NewDesc("applink_token_health_checked_timestamp_seconds", "When each link's token was last checked (Unix time), or applink's start when not since.", []string{"link"}, nil)
)

// metrics are counters of the events that leave no trace in the data
// folder, and the links' facts (Collect), in a registry of their own;
// GET /metrics serves them when Config.Metrics is set (handler not nil).
type metrics struct {
	s       *Server
	token   secret // the scraper's bearer token; "" for none
	started time.Time
	handler http.Handler
	events  *prometheus.CounterVec
	jira    *prometheus.HistogramVec
	signIns prometheus.Counter
	health  sync.Map // link name → *HealthView, the latest check
}

// newMetrics returns the metrics of s, served when on.
func newMetrics(s *Server, on bool, token string) *metrics {
	m := &metrics{s: s, token: secret(token), started: s.now(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "applink_audit_events_total",
			Help: "Audit events by name: handshake_started; approved, approval_rejected, denied, handshake_failed, callback_refused (handshakes by outcome); token_health; and the others."}, []string{"event"}),
		jira: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "applink_jira_request_duration_seconds",
			Help: "Calls to Jira by step and failure code (ok when none), with their latency."}, []string{"step", "code"}),
		signIns: prometheus.NewCounter(prometheus.CounterOpts{Name: "applink_sign_in_failures_total", Help: "Wrong admin tokens, at the sign-in page or the API."}),
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, m.events, m.jira, m.signIns, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if on {
		m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	return m
}

// ServeHTTP serves the metrics to a scraper that sends the metrics token
// (when there is one), compared in constant time.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.token != "" && !secretEqual(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), m.token.reveal()) {
		m.s.writeError(w, r, &Error{Code: CodeUnauthorized, Message: "The metrics need the metrics token.",
			Hint: "Send the header \"Authorization: Bearer TOKEN\" with the token of applink's metrics token file."})
		return
	}
	m.handler.ServeHTTP(w, r)
}

// Describe sends nothing: the links' metrics vary (an unchecked
// prometheus.Collector).
func (m *metrics) Describe(chan<- *prometheus.Desc) {}

// Collect sends each link's facts, read from the data folder as its view
// shows them (prometheus.Collector).
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	views, err := m.s.listViews()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descLink, err)
		return
	}
	one := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, v := range views {
		verdict := "none"
		if v.Verdict != nil {
			verdict = string(*v.Verdict)
		}
		one(descLink, 1, v.Name, v.State, verdict)
		if v.LastError != nil {
			one(descLastErr, 1, v.Name, string(v.LastError.Code))
		}
		if v.TokenExpiresAt != nil {
			one(descExpiry, float64(v.TokenExpiresAt.Unix()), v.Name)
		}
		if v.Verdict == nil {
			continue
		}
		at := m.started
		if h, ok := m.health.Load(v.Name); ok {
			h := h.(*HealthView)
			at = h.CheckedAt
			one(descHealth, map[bool]float64{true: 1}[h.OK], v.Name)
		}
		one(descChecked, float64(at.Unix()), v.Name)
	}
}

// jiraCall counts a call to Jira (oauth.Consumer.Observe).
func (m *metrics) jiraCall(step string, err error, took time.Duration) {
	code := "ok"
	if err != nil {
		code = string(asError(err).Code)
	}
	m.jira.WithLabelValues(step, code).Observe(took.Seconds())
}

// healthChecked records a token health check h of link l (as read before
// the check): for the metrics, and as a notification when the token's
// health changed.
func (s *Server) healthChecked(l *store.Link, h *HealthView) {
	s.metrics.health.Store(l.Name, h)
	s.notify.change(l.Name, "token_health", healthCode(l.LastError), healthCode(h.Problem))
}

// healthCode is the token health a link's last error tells: its code when
// a health check found it, else "ok".
func healthCode(e *Error) string {
	if !isHealth(e) {
		return "ok"
	}
	return string(e.Code)
}

// Notifications: how many wait at most, how often each is tried, and the
// wait before the second try (doubled before each next one).
const (
	notifyQueue   = 64
	notifyTries   = 5
	notifyBackoff = time.Second
)

// notification is the JSON event posted to Config.NotifyURL: Slack's
// text, and the same facts as fields. It holds no secret.
type notification struct {
	Text  string    `json:"text"`
	Link  string    `json:"link"`
	Event string    `json:"event"` // "verdict" or "token_health"
	Was   string    `json:"was"`   // the verdict or health code before ("" for none)
	Code  string    `json:"code"`  // the verdict or health code now
	At    time.Time `json:"at"`
}

// notifier posts notifications from one goroutine (run), so that no request
// waits for the receiver: a full queue drops the event, with a log line. A
// nil *notifier sends nothing.
type notifier struct {
	url    string // may hold a secret (a webhook's key): never logged
	client *http.Client
	log    zerolog.Logger
	now    func() time.Time
	queue  chan notification
	// wait waits between tries; tests replace it.
	wait func(context.Context, time.Duration)
}

// newNotifier returns the notifier of rawURL, nil when it is "", or an
// *Error when it is not an absolute http(s) URL.
func newNotifier(rawURL string, log zerolog.Logger, now func() time.Time) (*notifier, error) {
	if rawURL == "" {
		return nil, nil
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Code: CodeInvalidInput, Message: "the notification URL is not an absolute http(s) URL",
			Hint: "give the address of the receiver, such as a Slack incoming webhook's"}
	}
	return &notifier{url: rawURL, client: &http.Client{Timeout: 10 * time.Second}, log: log, now: now,
		queue: make(chan notification, notifyQueue), wait: sleep}, nil
}

// change queues a notification that link's event (verdict, token_health)
// went from was to is; nothing when they are equal.
func (n *notifier) change(link, event, was, is string) {
	if n == nil || was == is {
		return
	}
	e := notification{Link: link, Event: event, Was: was, Code: is, At: n.now().UTC(),
		Text: fmt.Sprintf("applink: the %s of link %s changed from %s to %s", event, link, cmp.Or(was, "none"), is)}
	select {
	case n.queue <- e:
	default:
		n.log.Warn().Str("link", link).Str("event", event).Msg("notification dropped: too many are waiting")
	}
}

// run posts the queued notifications until ctx ends.
func (n *notifier) run(ctx context.Context) {
	for n != nil {
		select {
		case <-ctx.Done():
			return
		case e := <-n.queue:
			n.post(ctx, e)
		}
	}
}

// post sends one notification, trying again after a wait that doubles
// each time, notifyTries times at most.
func (n *notifier) post(ctx context.Context, e notification) {
	body, _ := json.Marshal(e) // strings and a time: always marshals
	wait := notifyBackoff
	for try := 1; ; try++ {
		err := n.send(ctx, body)
		if err == nil {
			return
		}
		if try == notifyTries || ctx.Err() != nil {
			n.log.Warn().Str("link", e.Link).Str("event", e.Event).Int("tries", try).Str("error", err.Error()).Msg("notification not delivered")
			return
		}
		n.wait(ctx, wait)
		wait *= 2
	}
}

// send posts body once. Its error does not hold the URL.
func (n *notifier) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("the request could not be made")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return errors.Unwrap(err) // a *url.Error's cause, without the URL
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}
