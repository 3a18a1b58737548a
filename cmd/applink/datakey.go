package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/datakey"
	"github.com/applink/applink/server/store"
)

const datakeySynopsis = "--out FILE [--force]  |  --rotate --data DIR --new FILE [--old FILE]"

func runDatakey(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("datakey", datakeySynopsis, e)
	out := fs.String("out", "", "write a new data key to this file (mode 0600)")
	force := fs.Bool("force", false, "replace the file --out names")
	rotate := fs.Bool("rotate", false, "re-encrypt every secret of --data under --new (the service must be stopped)")
	data := fs.String("data", "", "with --rotate: the data folder")
	oldFile := fs.String("old", "", "with --rotate: the data key the folder is encrypted with now (none: it is not encrypted yet)")
	newFile := fs.String("new", "", "with --rotate: the data key to encrypt it with")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *rotate {
		if *out != "" || *data == "" || *newFile == "" {
			return usageError(e, fs, "--rotate needs --data and --new (and --old when the folder is encrypted), and no --out")
		}
		return rotateDataKey(*data, *oldFile, *newFile, e)
	}
	if *out == "" {
		return usageError(e, fs, "--out is required (or --rotate)")
	}
	k := datakey.New()
	if err := datakey.Write(*out, k, *force); err != nil {
		return fail(e, "datakey", err)
	}
	fmt.Fprintf(e.stderr, "Wrote the data key %s (id %s, mode 0600).\n", *out, k.ID())
	fmt.Fprintf(e.stderr, "Keep it out of the data folder and back it up apart from it: without it the encrypted secrets cannot be read.\n")
	fmt.Fprintf(e.stderr, "Use it: applink serve --data-key-file %s\n", *out)
	fmt.Fprintln(e.stdout, k.ID())
	return exitOK
}

// rotateDataKey re-encrypts every secret file of the data folder dir under
// the key of newFile (see store.EncryptSecrets): from the key of oldFile,
// or, without one, from plaintext (the one way plaintext secrets become
// encrypted: the service refuses them under a data key).
func rotateDataKey(dir, oldFile, newFile string, e env) int {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fail(e, "datakey", fault.New(store.CodeNotFound, dir+" is not a data folder", "give the folder applink serve --data uses"))
	}
	newKey, err := loadDataKey(newFile, dir)
	if err != nil {
		return fail(e, "datakey", err)
	}
	keys, open := []*datakey.Key{newKey}, store.OpenToEncrypt
	if oldFile != "" {
		open = store.Open
		oldKey, err := loadDataKey(oldFile, dir)
		if err != nil {
			return fail(e, "datakey", err)
		}
		keys = append(keys, oldKey)
	}
	st, err := open(dir, keys...)
	if err != nil {
		printError(e.stderr, "datakey", err)
		if fault.Is(err, store.CodeLocked) {
			fmt.Fprintf(e.stderr, "  stop applink serve first: a data key is rotated while the service is stopped\n")
		}
		return exitFailure
	}
	defer st.Close()
	n, err := st.EncryptSecrets()
	fmt.Fprintf(e.stderr, "Encrypted %d files under the data key %s.\n", n, newKey.ID())
	if err != nil {
		printError(e.stderr, "datakey", err)
		fmt.Fprintf(e.stderr, "  every file is still readable; run the same command again to finish\n")
		return exitFailure
	}
	for _, p := range st.Problems() {
		fmt.Fprintf(e.stderr, "warning: %s\n", p)
	}
	fmt.Fprintf(e.stderr, "Every secret in %s is now under the data key %s: start applink with --data-key-file %s.\n", st.Dir(), newKey.ID(), newFile)
	if oldFile != "" {
		fmt.Fprintf(e.stderr, "Destroy %s once a backup of the data folder made from now on exists (older backups still need it).\n", oldFile)
	}
	return exitOK
}

// loadDataKey reads a data key file, refusing one inside the data folder
// dir, compared as real paths (symbolic links resolved): a copy of the
// folder would carry the key that opens it.
func loadDataKey(file, dir string) (*datakey.Key, error) {
	if rel, err := filepath.Rel(realPath(dir), realPath(file)); err == nil && filepath.IsLocal(rel) {
		return nil, fault.New(datakey.CodeInvalidKey, "the data key "+file+" is inside the data folder "+dir,
			"move it out of the data folder: a copy of the folder would carry the key that opens it")
	}
	return datakey.Load(file)
}

// realPath is p absolute with its symbolic links resolved when it exists
// (a folder not made yet holds no key).
func realPath(p string) string {
	abs, _ := filepath.Abs(p)
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// openDataFolder opens the service's data folder dir with the data key of
// keyFile (none when ""); plaintext secrets under a key are refused (see
// store.Open), never encrypted here. say, called once the service is up,
// says how the secrets are kept: with a key, a log line; without, a
// warning in the log and a line on stderr that they are stored
// unencrypted and how to encrypt them.
func openDataFolder(dir, keyFile string, log zerolog.Logger, stderr io.Writer) (st *store.Store, say func(), err error) {
	if keyFile == "" {
		if st, err = store.Open(dir); err != nil {
			return nil, nil, err
		}
		return st, func() {
			how := "make a data key with 'applink datakey --out FILE' (outside the data folder), stop applink, run 'applink datakey --rotate --data " +
				st.Dir() + " --new FILE', and start applink with --data-key-file FILE" // a key alone refuses plaintext secrets
			log.Warn().Str("data", st.Dir()).Msg("secrets are stored unencrypted: to encrypt them, " + how)
			fmt.Fprintf(stderr, "applink: the secrets in %s are stored unencrypted; to encrypt them, %s\n", st.Dir(), how)
		}, nil
	}
	k, err := loadDataKey(keyFile, dir)
	if err != nil {
		return nil, nil, err
	}
	if st, err = store.Open(dir, k); err != nil {
		return nil, nil, err
	}
	return st, func() {
		log.Info().Str("data_key_id", k.ID()).Msg("secrets are encrypted at rest with the data key")
	}, nil
}
