package server

import (
	"sync"
	"time"
)

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
