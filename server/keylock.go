package server

import (
	"context"
	"sync"
)

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
