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
	"time"

	"github.com/rs/zerolog"
)

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

// verdictOf is the verdict of a link's kept token, "" when there is none.
func (s *Server) verdictOf(name string) string {
	if t, err := s.store.Token(name); err == nil {
		return string(t.Verdict)
	}
	return ""
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
