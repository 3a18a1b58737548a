package server

import (
	"crypto/sha256"
	"sync"
	"time"
)

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
