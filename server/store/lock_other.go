//go:build !unix

package store

import (
	"errors"
	"os"
)

// errLocked: another open file description holds the lock.
var errLocked = errors.New("lock held by another process")

// flock does nothing on systems without flock(2): there, nothing stops two
// processes from sharing a data folder.
func flock(f *os.File) error { return nil }
