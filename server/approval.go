package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"

	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// approvePage is the data of approve.html.
type approvePage struct {
	page
	*store.Link  // which link, Jira and service account
	AuthorizeURL string
	ExpiresAt    time.Time
}

// errApprovalGone is the page of an approval link that is unknown, used
// or expired.
func errApprovalGone(expired bool) *Error {
	if expired {
		return &Error{Code: CodeHandshakeExpired,
			Message: "This approval link has expired: Jira keeps a request for 10 minutes only.",
			Hint:    "Ask the applink admin for a new approval link, and open it right away."}
	}
	return &Error{Code: CodeHandshakeUnknown,
		Message: "This approval is over: it was approved or denied in Jira already, or applink never made it.",
		Hint:    "Ask the applink admin for a new approval link."}
}

// pageApprove is GET /approve/{id}: for the service account's owner, no
// sign-in. It says which Jira and which account, warns before anything
// happens, and links to Jira's authorize page.
func (s *Server) pageApprove(w http.ResponseWriter, r *http.Request) {
	h, err := s.store.Handshake(r.PathValue("id"))
	var l *store.Link
	switch {
	case err == nil && h.OAuth().Expired(s.now()):
		err = errApprovalGone(true)
	case err == nil:
		if l, _, _, err = s.load(h.Link, false, false); err != nil {
			err = errApprovalGone(false)
		}
	case isNotFound(err):
		err = errApprovalGone(false)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "approve.html", approvePage{
		page:         s.newPage(r, "Approve applink's access to Jira"),
		Link:         l,
		AuthorizeURL: h.AuthorizeURL,
		ExpiresAt:    h.ExpiresAt,
	})
}

// callbackPage is the data of callback.html.
type callbackPage struct {
	page
	*store.Link // which link, Jira and service account
	// Approval is who approved and the verdict, when Jira issued a token;
	// Kept says whether applink kept it (not under on-mismatch reject).
	Approval *oauth.Approval
	Kept     bool
	// Notice is the approval's notice (nil for a match, and when Error
	// says it).
	Notice *oauth.Notice
	// Wrong: the wrong account approved; the page tells the approver what
	// to do.
	Wrong bool
	// WhereToRevoke is where a user revokes the tokens they approved.
	WhereToRevoke string
	// Error is the failure: denied, rejected, a Jira failure, a failed
	// save.
	Error *Error
}

// completeTimeout bounds the work after a callback: the access-token
// exchange and the identity check, each bounded by the consumer's timeout.
const completeTimeout = 2*oauth.DefaultTimeout + 10*time.Second

// pageCallback is GET /oauth/callback?oauth_token=T&oauth_verifier=V,
// where Jira sends the approver's browser. Its steps: read the query
// (oauth.ParseCallback), wait for the handshake's other callbacks, take
// the pending handshake (takeHandshake: only one applink started, not used
// yet and younger than 10 minutes; anything else gets a 4xx page, changes
// nothing and does not call Jira), complete it (complete: exchange,
// identity check, save; a verifier Jira refuses puts it back), show the
// outcome and keep it for reloads of the page until the request token
// would have expired (recentOutcomes).
func (s *Server) pageCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		// A HEAD (link checkers, previews) must not use up the handshake.
		w.Header().Set("Allow", http.MethodGet)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	token, verifier, err := oauth.ParseCallback(r.URL.RawQuery)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if out := s.recent.get(token, verifier, s.now()); out != nil {
		s.renderOutcome(w, r, out)
		return
	}
	ctx := r.Context()
	// Pruned after the lookup, so that a late callback hears "expired".
	defer s.prune(ctx)
	// One callback of a handshake (its request token) at a time: one that
	// Jira refuses puts the handshake back (refused) before the next looks
	// for it.
	unlock, err := s.callbacks.lock(ctx, token)
	if err != nil {
		return // the browser went away while waiting
	}
	defer unlock()
	h, err := s.takeHandshake(ctx, token)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	// The handshake is taken: finish it even if the approver's browser
	// goes away meanwhile, or the approval would be lost.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	defer cancel()
	out, err := s.complete(cctx, h, verifier)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if !out.Pending {
		s.recent.put(token, verifier, out, h.ExpiresAt, s.now())
	}
	s.renderOutcome(w, r, out)
}

// takeHandshake removes and returns the pending handshake of a request
// token, so that of two concurrent callbacks only one gets it. An unknown
// or used token is CodeHandshakeUnknown, an expired one
// CodeHandshakeExpired; neither changes anything.
func (s *Server) takeHandshake(ctx context.Context, token string) (*store.Handshake, error) {
	h, err := s.store.HandshakeByRequestToken(token)
	if err == nil && h.OAuth().Expired(s.now()) {
		s.logger(ctx).Warn().Str("link", h.Link).Msg("callback for an expired handshake")
		return nil, &Error{Code: CodeHandshakeExpired,
			Message: "This approval came back more than 10 minutes after it started, and Jira no longer accepts it.",
			Hint:    "Ask the applink admin for a new approval link, then approve it right away."}
	}
	if err == nil {
		h, err = s.store.TakeHandshake(token)
	}
	if isNotFound(err) {
		s.logger(ctx).Warn().Msg("callback for a request token applink did not issue, or used already")
		return nil, &Error{Code: CodeHandshakeUnknown,
			Message: "applink did not start this approval, or it has been completed already.",
			Hint:    "If you were approving a link, ask the applink admin for a new approval link. Nothing was changed."}
	}
	return h, err
}

// renderOutcome shows what a callback did: its title and status come from
// the verdict and the failure's code.
func (s *Server) renderOutcome(w http.ResponseWriter, r *http.Request, out *outcome) {
	data := callbackPage{
		page:          s.newPage(r, "Approved"),
		Link:          out.Link,
		Approval:      out.Approval,
		Kept:          out.Kept,
		Error:         out.Err,
		WhereToRevoke: oauth.WhereToRevoke,
	}
	if out.Approval != nil && out.Err == nil {
		data.Notice = out.Approval.Notice()
	}
	status := http.StatusOK
	if out.Err != nil {
		status = Status(out.Err.Code)
	}
	switch {
	case out.Err != nil && (out.Err.Code == oauth.CodeWrongApprover || out.Err.Code == oauth.CodeAccountReplaced):
		data.Title, data.Wrong = "Approved by the wrong account: token thrown away", true
	case out.Err != nil && out.Err.Code == CodeVerifiedTokenKept:
		data.Title = "Not used: the service account's token was kept"
	case out.Err != nil && out.Err.Code == oauth.CodeDenied:
		data.Title = "Access denied"
	case out.Err != nil:
		data.Title = "The approval did not complete"
	case out.Approval.Verdict == oauth.VerdictMismatch:
		data.Title, data.Wrong = "Approved by the wrong account", true
	case out.Approval.Verdict != oauth.VerdictMatch:
		data.Title = "Approved, but applink cannot confirm by whom"
	}
	s.render(w, r, status, "callback.html", data)
}

// maxRecentOutcomes bounds the outcomes kept for reloads. Each needs a
// handshake an admin started and lives at most 10 minutes; past the
// bound the one closest to its expiry goes.
const maxRecentOutcomes = 256

// recentOutcomes keeps what each callback did until its request token
// would have expired, so that a reload of the callback page (the same
// oauth_token and oauth_verifier) shows the same result instead of "not
// found". An entry is found only with both values: it is keyed by a hash
// of them, so that neither is kept and the request token alone (which the
// authorize URL shows) reads nothing. The zero value is ready to use.
type recentOutcomes struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]recentOutcome
}

// recentOutcome is one kept outcome and until when it is kept.
type recentOutcome struct {
	out     *outcome
	expires time.Time
}

// recentKey is the key of a callback's token and verifier.
func recentKey(token, verifier string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token + "\x00" + verifier))
}

// put keeps out until expires, dropping expired entries and, when full,
// the entry closest to its expiry.
func (c *recentOutcomes) put(token, verifier string, out *outcome, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[sha256.Size]byte]recentOutcome{}
	}
	var first [sha256.Size]byte
	var firstAt time.Time
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
		} else if firstAt.IsZero() || e.expires.Before(firstAt) {
			first, firstAt = k, e.expires
		}
	}
	if len(c.m) >= maxRecentOutcomes {
		delete(c.m, first)
	}
	c.m[recentKey(token, verifier)] = recentOutcome{out: out, expires: expires}
}

// get returns the outcome kept for a callback's token and verifier, or nil.
func (c *recentOutcomes) get(token, verifier string, now time.Time) *outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[recentKey(token, verifier)]
	if !ok || !now.Before(e.expires) {
		return nil
	}
	return e.out
}

// keyLock lets one holder at a time work on a key: the callbacks of one
// pending handshake run one after the other, so that a refused one can put
// the handshake back before the next looks for it. Entries live while
// someone holds or waits for their key.
type keyLock struct {
	mu   sync.Mutex
	keys map[string]*keyTurn
}

// keyTurn is one key's turn: a slot its holder fills, and how many hold
// or wait.
type keyTurn struct {
	slot  chan struct{}
	users int
}

// lock waits for key's turn (or for ctx to end) and returns the function
// that ends it. A free turn is taken at once, whatever ctx.
func (k *keyLock) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.keys == nil {
		k.keys = map[string]*keyTurn{}
	}
	t := k.keys[key]
	if t == nil {
		t = &keyTurn{slot: make(chan struct{}, 1)}
		k.keys[key] = t
	}
	t.users++
	k.mu.Unlock()
	leave := func() {
		k.mu.Lock()
		if t.users--; t.users == 0 {
			delete(k.keys, key)
		}
		k.mu.Unlock()
	}
	unlock = func() { <-t.slot; leave() }
	select {
	case t.slot <- struct{}{}: // a free turn is taken even if ctx has ended
		return unlock, nil
	default:
	}
	select {
	case t.slot <- struct{}{}:
		return unlock, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
