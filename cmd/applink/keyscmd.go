package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
)

func runKeys(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("keys", "--out DIR [--bits N] [--force]", e)
	out := fs.String("out", "", "folder to write private.pem (mode 0600) and public.pem to; an existing folder is made 0700 (required)")
	bits := fs.Int("bits", keys.DefaultBits, "key size in bits: 2048, 3072 or 4096")
	force := fs.Bool("force", false, "replace keys that already exist in --out")
	if code, ok := parseFlags(fs, args, "out"); !ok {
		return code
	}
	key, err := keys.Generate(*bits)
	if oe, ok := fault.As(err); ok && oe.Code == keys.CodeBadBits {
		return usageError(e, fs, "--bits: %s\n  what to do: %s", oe.Message, oe.Hint)
	}
	if err != nil {
		return fail(e, "keys", err)
	}
	loose, err := tightenKeyFolder(*out)
	if err != nil {
		fmt.Fprintf(e.stderr, "applink keys: %s is open to other users (mode %04o) and applink cannot make it private: %v\n"+
			"  what to do: run 'chmod go-rwx %s' as its owner, or choose another folder with --out\n", *out, loose, err, *out)
		return exitFailure
	}
	if err := keys.WriteDir(*out, key, *force); err != nil {
		if loose != 0 {
			_ = os.Chmod(*out, loose) // changes nothing when it fails
		}
		return fail(e, "keys", err)
	}
	if loose != 0 {
		fmt.Fprintf(e.stderr, "Made %s private (mode %04o, was %04o): other users could list the private key's folder.\n", *out, loose&^0o077, loose)
	}
	fmt.Fprintf(e.stderr, "Wrote %s (private, mode 0600) and %s.\n",
		filepath.Join(*out, keys.PrivateKeyFile), filepath.Join(*out, keys.PublicKeyFile))
	fmt.Fprintf(e.stderr, "Keep the private key with the integration only; the public key goes into Jira.\n")
	fmt.Fprintf(e.stdout, "Public key fingerprint: %s\n", keys.Fingerprint(&key.PublicKey))
	return exitOK
}

// tightenKeyFolder removes the group and other bits of an existing folder
// and returns its mode before, or 0 when there was nothing to remove (no
// folder yet: WriteDir makes it 0700). On failure the folder is unchanged
// and the mode is returned all the same.
func tightenKeyFolder(dir string) (loose os.FileMode, err error) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 == 0 {
		return 0, nil // WriteDir says what is wrong with a path that is not a folder
	}
	return fi.Mode().Perm(), os.Chmod(dir, fi.Mode().Perm()&^0o077)
}

func runConfig(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("config", "--jira-url URL --key-dir DIR --consumer-key KEY [--consumer-name NAME] [--callback-url URL] [--json]", e)
	jiraURL := fs.String("jira-url", "", "Jira base URL, context path included (required)")
	keyDir := fs.String("key-dir", "", "folder holding public.pem: only the public key is read, so the private key need not be on this machine (required)")
	consumerKey := fs.String("consumer-key", "", "consumer key of the Application Link (required)")
	consumerName := fs.String("consumer-name", "", "consumer name shown in Jira (default \"applink: KEY\")")
	callbackURL := fs.String("callback-url", "", "consumer callback URL (optional: applink sends its callback with each request)")
	asJSON := fs.Bool("json", false, "print JSON for programs")
	if code, ok := parseFlags(fs, args, "jira-url", "key-dir", "consumer-key"); !ok {
		return code
	}
	pub, err := keys.LoadPublicKey(*keyDir)
	if err != nil {
		return fail(e, "config", err)
	}
	cfg, err := oauth.NewAppLinkConfig(oauth.ConfigInput{
		JiraURL: *jiraURL, ConsumerKey: *consumerKey, ConsumerName: *consumerName,
		CallbackURL: *callbackURL, PublicKey: pub,
	})
	if err != nil {
		return fail(e, "config", err)
	}
	write := cfg.WriteText
	if *asJSON {
		write = cfg.WriteJSON
	}
	if err := write(e.stdout); err != nil {
		return fail(e, "config", err)
	}
	return exitOK
}
