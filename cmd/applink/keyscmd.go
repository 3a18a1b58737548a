package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
)

func runKeys(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("keys", "--out DIR [--bits N] [--force]", e)
	out := fs.String("out", "", "folder to write private.pem (mode 0600) and public.pem to (required)")
	bits := fs.Int("bits", keys.DefaultBits, "key size in bits: 2048, 3072 or 4096")
	force := fs.Bool("force", false, "replace keys that already exist in --out")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" {
		return usageError(e, fs, "--out is required")
	}
	key, err := keys.Generate(*bits)
	if err != nil {
		printError(e.stderr, "keys", err)
		return exitFailure
	}
	if err := keys.WriteDir(*out, key, *force); err != nil {
		printError(e.stderr, "keys", err)
		return exitFailure
	}
	fmt.Fprintf(e.stderr, "Wrote %s (private, mode 0600) and %s.\n",
		filepath.Join(*out, keys.PrivateKeyFile), filepath.Join(*out, keys.PublicKeyFile))
	fmt.Fprintf(e.stderr, "Keep the private key with the integration only; the public key goes into Jira.\n")
	fmt.Fprintf(e.stdout, "%s\n", keys.Fingerprint(&key.PublicKey))
	return exitOK
}

func runConfig(ctx context.Context, args []string, e env) int {
	fs := newFlagSet("config", "--jira-url URL --key-dir DIR --consumer-key KEY [--consumer-name NAME] [--callback-url URL] [--json]", e)
	jiraURL := fs.String("jira-url", "", "Jira base URL, context path included (required)")
	keyDir := fs.String("key-dir", "", "folder holding private.pem or public.pem (required)")
	consumerKey := fs.String("consumer-key", "", "consumer key of the Application Link (required)")
	consumerName := fs.String("consumer-name", "", "consumer name shown in Jira (default \"applink: KEY\")")
	callbackURL := fs.String("callback-url", "", "consumer callback URL (optional: applink sends its callback with each request)")
	asJSON := fs.Bool("json", false, "print JSON for programs")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	for _, req := range []struct{ name, v string }{{"jira-url", *jiraURL}, {"key-dir", *keyDir}, {"consumer-key", *consumerKey}} {
		if req.v == "" {
			return usageError(e, fs, "--%s is required", req.name)
		}
	}
	pub, err := keys.LoadPublicKey(*keyDir)
	if err != nil {
		printError(e.stderr, "config", err)
		return exitFailure
	}
	cfg, err := oauth.NewAppLinkConfig(oauth.ConfigInput{
		JiraURL: *jiraURL, ConsumerKey: *consumerKey, ConsumerName: *consumerName,
		CallbackURL: *callbackURL, PublicKey: pub,
	})
	if err != nil {
		printError(e.stderr, "config", err)
		return exitFailure
	}
	if *asJSON {
		if err := cfg.WriteJSON(e.stdout); err != nil {
			printError(e.stderr, "config", err)
			return exitFailure
		}
		return exitOK
	}
	if err := cfg.WriteText(e.stdout); err != nil {
		printError(e.stderr, "config", err)
		return exitFailure
	}
	return exitOK
}
