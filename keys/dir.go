package keys

import (
	"crypto/rsa"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/fsutil"
)

// WriteDir writes key to dir as PrivateKeyFile (PKCS#8, mode 0600) and
// PublicKeyFile (mode 0644), creating dir with mode 0700. Both writes are
// atomic. Unless force is set it refuses, with CodeExists and without
// writing anything, when either file exists.
//
// A folder that already exists keeps its mode (it may be the user's working
// folder); the private key in it is 0600 all the same. With force, both
// files are replaced, each atomically: should the second write fail, LoadDir
// reports the mismatch.
func WriteDir(dir string, key *rsa.PrivateKey, force bool) error {
	privPEM, err := MarshalPrivateKey(key) // CodeMalformed for a nil or incomplete key
	if err != nil {
		return err
	}
	pubPEM, err := MarshalPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := notAFile(dir, "give a folder for the key pair with --out"); err != nil {
		return err
	}
	privPath := filepath.Join(dir, PrivateKeyFile)
	pubPath := filepath.Join(dir, PublicKeyFile)
	if !force {
		for _, p := range []string{privPath, pubPath} {
			if _, err := os.Lstat(p); err == nil {
				return existsError(p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return ioError("cannot check "+p, err)
			}
		}
	}
	// A folder that exists keeps its mode; missing ones are made 0700.
	if err := os.MkdirAll(dir, fsutil.DirMode); err != nil {
		return ioError("cannot create the key folder "+dir, err)
	}
	if err := fsutil.WriteFile(privPath, privPEM, fsutil.FileMode, !force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return existsError(privPath)
		}
		return ioError("cannot write "+privPath, err)
	}
	if err := fsutil.WriteFile(pubPath, pubPEM, 0o644, !force); err != nil {
		if !force {
			// Leave nothing behind: private.pem did not exist before.
			_ = os.Remove(privPath)
		}
		if errors.Is(err, fs.ErrExist) {
			return existsError(pubPath)
		}
		return ioError("cannot write "+pubPath, err)
	}
	return nil
}

// notAFile fails with CodeIO when dir is a file: a key folder's path then
// names a file inside a file, which the system reports as a puzzling "not a
// directory".
func notAFile(dir, hint string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fault.New(CodeIO, dir+" is a file, not a key folder", hint)
	}
	return nil
}

func existsError(path string) error {
	return fault.Wrap(fs.ErrExist, CodeExists, path+" already exists; not replacing a key without force",
		"choose another folder, or pass --force to replace both files: the old key then stops working "+
			"until Jira's Application Link gets the new public key (and editing the link deletes its tokens)")
}

func ioError(msg string, err error) error {
	hint := "check that the path is right and that you may read and write there"
	if errors.Is(err, fs.ErrPermission) {
		hint = "permission denied: run as the user who owns the folder, or choose another one"
	}
	return fault.Wrap(err, CodeIO, msg, hint)
}

// LoadDir reads the private key of a key folder written by WriteDir. When
// the folder also holds PublicKeyFile it checks that it is the public half
// of the private key (CodeKeyMismatch otherwise).
func LoadDir(dir string) (*rsa.PrivateKey, error) {
	if err := notAFile(dir, "give the folder that holds "+PrivateKeyFile+"; a key file on its own is given with --private-key"); err != nil {
		return nil, err
	}
	privPath := filepath.Join(dir, PrivateKeyFile)
	key, err := LoadPrivateKeyFile(privPath)
	if err != nil {
		return nil, err
	}
	pubPath := filepath.Join(dir, PublicKeyFile)
	pub, err := loadFile(pubPath, ParsePublicKey, "", "")
	if fault.CodeOf(err) == CodeNotFound {
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, fault.New(CodeKeyMismatch,
			pubPath+" ("+Fingerprint(pub)+") is not the public half of "+privPath+" ("+Fingerprint(&key.PublicKey)+")",
			"Jira must hold the public half of private.pem: remake public.pem with "+
				"`openssl pkey -in private.pem -pubout -out public.pem` and compare it with the Public Key "+
				"in Jira's Application Link (changing it there deletes the link's tokens)")
	}
	return key, nil
}

// LoadPublicKey reads the public key of a key folder: from PrivateKeyFile
// when there is one (checked against PublicKeyFile, as LoadDir does), else
// from PublicKeyFile. CodeNotFound when the folder holds neither, CodeIO
// when dir is a file.
func LoadPublicKey(dir string) (*rsa.PublicKey, error) {
	if err := notAFile(dir, "give the folder that holds "+PrivateKeyFile+" or "+PublicKeyFile); err != nil {
		return nil, err
	}
	key, err := LoadDir(dir)
	if err == nil {
		return &key.PublicKey, nil
	}
	if fault.CodeOf(err) != CodeNotFound {
		return nil, err
	}
	return loadFile(filepath.Join(dir, PublicKeyFile), ParsePublicKey, "no "+PrivateKeyFile+" nor "+PublicKeyFile+" in "+dir,
		"check the folder, or make a key pair with `applink keys --out DIR`")
}

// LoadPrivateKeyFile reads and parses one private key file.
func LoadPrivateKeyFile(path string) (*rsa.PrivateKey, error) {
	return loadFile(path, ParsePrivateKey, "no private key at "+path, "check the path, or make a key pair with `applink keys --out DIR`")
}

// loadFile reads a key file at path with parse: a missing file is
// CodeNotFound with message and hint, another read failure CodeIO, and a
// parse failure names the file.
func loadFile[K any](path string, parse func([]byte) (K, error), message, hint string) (K, error) {
	var none K
	data, err := readLimited(path)
	if errors.Is(err, fs.ErrNotExist) {
		return none, fault.Wrap(err, CodeNotFound, message, hint)
	}
	if err != nil {
		return none, ioError("cannot read "+path, err)
	}
	key, err := parse(data)
	if err != nil {
		return none, inFile(path, err)
	}
	return key, nil
}

// readLimited reads at most maxInput+1 bytes of a file, so that a wrong
// path to a large file fails fast in the parser instead of filling memory.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // reading a folder fails (EISDIR): CodeIO
	return io.ReadAll(io.LimitReader(f, maxInput+1))
}

// inFile prefixes the message of a parse error with the file it came from.
func inFile(path string, err error) error {
	if e, ok := fault.As(err); ok {
		c := *e
		c.Message = path + ": " + c.Message
		return &c
	}
	return err
}
