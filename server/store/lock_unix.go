//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// flock takes an exclusive, non-blocking lock on f. The lock lasts until f
// is closed (or the process ends, even by a crash).
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return errLocked
		}
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
