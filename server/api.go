package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// maxBody bounds request bodies (JSON and forms).
const maxBody = 64 << 10

// decodeJSON reads one JSON object of the request body into dst: unknown
// fields, trailing data, a malformed body and a body over maxBody are
// refused with a 400 *Error.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return &Error{Code: CodeBadRequest, Message: "The body must be a single JSON object, with nothing after it."}
		}
		return nil
	}
	var mbe *http.MaxBytesError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return asError(err)
	case errors.Is(err, io.EOF):
		return &Error{Code: CodeBadRequest, Message: "The body is empty; it must be a JSON object.", Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &Error{Code: CodeUnknownField, Message: "Unknown field " + field + ".",
			Hint: "Send only the fields the route takes; the README's JSON API section lists them.", Err: err}
	case errors.As(err, &ute):
		msg := "The body is not a JSON object, or a field has the wrong type."
		if want := ute.Type.String(); ute.Field != "" {
			if ute.Type.Kind() == reflect.Slice {
				want = "list of " + ute.Type.Elem().String() + "s"
			}
			msg = "The field " + ute.Field + " has the wrong type; it must be a " + want + "."
		}
		return &Error{Code: CodeBadRequest, Message: msg, Err: err}
	default:
		return &Error{Code: CodeBadRequest, Message: "The body is not valid JSON.", Err: err}
	}
}

// answer answers an API request with v as JSON and status, or with err.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// apiCreateLink is POST /api/links.
func (s *Server) apiCreateLink(w http.ResponseWriter, r *http.Request) {
	var in LinkInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.CreateLink(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/links/"+v.Name)
	writeJSON(w, http.StatusCreated, v)
}

// apiEditLink is PATCH /api/links/{name}.
func (s *Server) apiEditLink(w http.ResponseWriter, r *http.Request) {
	var e LinkEdit
	if err := decodeJSON(w, r, &e); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.EditLink(r.Context(), r.PathValue("name"), e)
	s.answer(w, r, http.StatusOK, v, err)
}

// apiListLinks is GET /api/links.
func (s *Server) apiListLinks(w http.ResponseWriter, r *http.Request) {
	views, err := s.listViews()
	s.answer(w, r, http.StatusOK, struct {
		Links []*LinkView `json:"links"`
	}{views}, err)
}

// apiGetLink is GET /api/links/{name}.
func (s *Server) apiGetLink(w http.ResponseWriter, r *http.Request) {
	v, err := s.Link(r.PathValue("name"))
	s.answer(w, r, http.StatusOK, v, err)
}

// apiDeleteLink is DELETE /api/links/{name}: 204 when deleted.
func (s *Server) apiDeleteLink(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteLink(r.Context(), r.PathValue("name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiStartHandshake is POST /api/links/{name}/handshakes.
func (s *Server) apiStartHandshake(w http.ResponseWriter, r *http.Request) {
	h, err := s.StartHandshake(r.Context(), r.PathValue("name"))
	s.answer(w, r, http.StatusCreated, h, err)
}

// credentials is what an integration needs to call Jira as the link's
// approved account. It holds secrets: it is only ever encoded into the
// answer of an export.
type credentials struct {
	JiraURL       string `json:"jira_url"`
	ConsumerKey   string `json:"consumer_key"`
	PrivateKeyPEM string `json:"private_key_pem"`
	AccessToken   string `json:"access_token"`
	TokenSecret   string `json:"token_secret"`
}

// String keeps the secrets out of fmt's output.
func (c credentials) String() string {
	return "credentials{jira_url: " + c.JiraURL + ", consumer_key: " + c.ConsumerKey + ", secrets: " + redacted + "}"
}

// Format prints String for every verb.
func (c credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// MarshalZerologObject logs the credentials without their secrets.
func (c credentials) MarshalZerologObject(e *zerolog.Event) {
	e.Str("jira_url", c.JiraURL).Str("consumer_key", c.ConsumerKey).Str("secrets", redacted)
}

// exportCredentials gathers a link's credentials and writes the export to
// the audit log (with the approver and the verdict, without secrets). via
// names the channel: "api" or "ui". A token whose verdict is not "match"
// is exported only when accept names it: its approval time (the view's
// authorized_at), which the caller saw with its approver. Without accept
// the answer is 409 approver_not_confirmed, naming the approver; with
// another value (an older page, before someone else approved) 409
// approval_changed.
func (s *Server) exportCredentials(ctx context.Context, name, via, accept string, r *http.Request) (*credentials, error) {
	l, _, tok, err := s.load(name, false, true)
	if err != nil {
		return nil, err
	}
	if at, perr := time.Parse(time.RFC3339Nano, accept); tok.Verdict != oauth.VerdictMatch && (perr != nil || !at.Equal(tok.ApprovedAt)) {
		e := &Error{Code: oauth.CodeApproverNotConfirmed,
			Message: "The token of link " + name + " acts as " + tok.Approver.String() + ", not confirmed to be the service account " + l.ServiceAccount + " (verdict " + string(tok.Verdict) + ").",
			Hint:    "Click " + oauth.StartApproval + " and have the service account approve it, or confirm that the integration may act as " + tok.Approver.String() + " (accept_approver=" + tok.ApprovedAt.UTC().Format(time.RFC3339Nano) + ", the link's authorized_at)."}
		if accept != "" {
			e.Code, e.Message = CodeApprovalChanged, "The confirmation names another approval than the one link "+name+" keeps now: its token acts as "+tok.Approver.String()+", approved "+tok.ApprovedAt.UTC().Format(timeLayout)+"."
		}
		return nil, e
	}
	key, err := s.store.PrivateKey(name)
	if err != nil {
		return nil, err
	}
	pemKey, err := keys.MarshalPrivateKey(key)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, "credentials_exported", name).Str("via", via).Stringer("client", s.clientAddr(r)).
		Str("approver", tok.Approver.String()).Str("verdict", string(tok.Verdict)).
		Bool("approver_accepted", tok.Verdict != oauth.VerdictMatch).Msg("credentials exported")
	return &credentials{
		JiraURL:       l.JiraURL,
		ConsumerKey:   l.ConsumerKey,
		PrivateKeyPEM: string(pemKey),
		AccessToken:   tok.AccessToken,
		TokenSecret:   tok.TokenSecret,
	}, nil
}

// apiCredentials is GET /api/links/{name}/credentials[?accept_approver=AUTHORIZED_AT].
func (s *Server) apiCredentials(w http.ResponseWriter, r *http.Request) {
	c, err := s.exportCredentials(r.Context(), r.PathValue("name"), "api", r.URL.Query().Get("accept_approver"), r)
	s.answer(w, r, http.StatusOK, c, err)
}

// apiNotFound answers any other /api/ request.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &Error{Code: store.CodeNotFound, Message: "No such API route: " + r.Method + " " + logPath(r.URL.Path) + ".",
		Hint: "Routes: GET/POST /api/links, GET/PATCH/DELETE /api/links/{name}, POST /api/links/{name}/handshakes, POST /api/links/{name}/preflight, GET /api/links/{name}/credentials, POST /api/links/{name}/permissions, POST /api/links/{name}/health."})
}

// healthz is GET /healthz: 200 "ok" when the data folder answers and can
// be written (probed at most every healthProbeEvery, never by reading the
// links, so that it costs the same whatever they hold); otherwise 503 with
// the reason, such as "data folder not writable: the disk is full".
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.writable(); err != nil {
		s.logger(r.Context()).Error().Err(err).Msg("health check: the data folder cannot be written")
		why, hint := store.Why(err)
		if hint == "" { // not said in words: the log has it, with the path
			why = "the write failed (see the log)"
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "data folder not writable: "+why+"\n")
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// healthProbeEvery is how often /healthz probes the data folder for
// writes at most; in between it answers from the last probe.
const healthProbeEvery = 5 * time.Second

// healthProbe is the last write probe of the data folder.
type healthProbe struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// writable returns why the data folder cannot be written (nil when it
// can), probing it (store.Probe) at most every healthProbeEvery.
func (s *Server) writable() error {
	p := &s.health
	p.mu.Lock()
	defer p.mu.Unlock()
	now := s.now()
	if p.at.IsZero() || now.Sub(p.at) >= healthProbeEvery || now.Before(p.at) {
		p.at, p.err = now, s.store.Probe()
	}
	return p.err
}
