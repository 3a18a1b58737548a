package server

import "fmt"

// maxPending is how many approvals of one link may be pending at once:
// each holds a request token at Jira and an approval link in the wild.
const maxPending = 5

// reservePending counts a handshake about to start for a link, or refuses
// it (CodeTooManyPending) when the link has maxPending live ones, counting
// those being started. Nothing is dropped to make room. The caller calls
// release once the handshake is saved or has failed.
func (s *Server) reservePending(name string) (release func(), err error) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if n := s.store.PendingHandshakes(name, s.now()) + s.starting[name]; n >= maxPending {
		return nil, &Error{Code: CodeTooManyPending,
			Message: fmt.Sprintf("The link %q has %d approvals pending already, the most applink keeps.", name, n),
			Hint:    "Use the approval link sent last (the link's page shows it), or wait for a pending one to expire: Jira keeps each for 10 minutes."}
	}
	s.starting[name]++
	return func() {
		s.pendingMu.Lock()
		defer s.pendingMu.Unlock()
		if s.starting[name]--; s.starting[name] == 0 {
			delete(s.starting, name)
		}
	}, nil
}
