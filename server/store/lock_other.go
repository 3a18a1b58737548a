//go:build !unix

package store

import "os"

// flock does nothing on systems without flock(2): there, nothing stops two
// processes from sharing a data folder.
func flock(f *os.File) error { return nil }
