// Package fsutil writes files that hold secrets: private folders, private
// files, and writes that are atomic (a temporary file in the same folder,
// fsync, rename, fsync of the folder), so that a crash leaves either the old
// content or the new one, never half of either.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DirMode is the mode of every folder applink creates for secrets.
const DirMode fs.FileMode = 0o700

// FileMode is the mode of every file applink writes that holds a secret.
const FileMode fs.FileMode = 0o600

// MkdirPrivate creates dir and its missing parents with mode 0700. An
// existing folder is left as it is, except that group and other bits are
// removed from it when it is the folder itself (not a parent).
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(dir, fi.Mode().Perm()&^0o077)
	}
	return nil
}

// WriteFile writes data to path atomically with the given mode. The folder
// must exist. With exclusive set it fails with an error matching
// fs.ErrExist when path already exists, and changes nothing.
func WriteFile(path string, data []byte, perm fs.FileMode, exclusive bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if exclusive {
		// Link fails if path appeared meanwhile, so an existing file is
		// never replaced.
		if err = os.Link(tmpName, path); err != nil {
			return err
		}
		_ = os.Remove(tmpName)
	} else if err = os.Rename(tmpName, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WritePrivate writes a secret atomically with mode 0600, creating its
// folder with mode 0700 when missing. An existing folder is not changed: it
// may be the user's own working folder.
func WritePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), DirMode); err != nil {
		return err
	}
	return WriteFile(path, data, FileMode, false)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
