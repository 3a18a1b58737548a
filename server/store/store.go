// Package store keeps the web service's state in a data folder: per link
// its key pair, its record and its access token, the pending handshakes, the
// admin token, the session keys and the admin's sessions. Folders are 0700,
// files 0600, every write atomic (temporary file, fsync, rename), so a
// crash or a restart loses nothing that was saved and never leaves a
// half-written file.
//
// Layout under the data folder:
//
//	admin-token                  the admin token (when not from the environment)
//	session-keys                 hash and encryption keys of the session cookie
//	sessions                     the admin's signed-in sessions (hashes of their ids)
//	links/NAME/link.json         the link's record (no secrets)
//	links/NAME/private.pem       the link's RSA private key (PKCS#8)
//	links/NAME/public.pem        its public key
//	links/NAME/token.json        the access token and secret, when approved
//	links/NAME/token.tags        with a data key, the tag token.json is sealed for
//	handshakes/ID.json           a pending handshake (request token + secret)
//	.lock                        held (flock) by the process that opened the folder
//
// Reads, listings, renames, removals, mode changes and the making of a new
// link's folder go through an [os.Root] on the data folder. Files are
// written by internal/fsutil (temporary file, fsync, rename) by absolute
// path, as are the data folder and its links and handshakes folders made by
// Open; a file is written only into the data folder itself or into a folder
// checked through the root to be a real folder, not a symbolic link (a
// link's folder in each call that writes to it, the handshakes folder at Open, a
// new link's folder as it is made). Link names and handshake IDs are
// checked before they become file names, so no name can reach outside the
// folder. Every change asks the hook of [Store.FailWrites] first, so that
// tests can make any of them fail.
//
// Secret files (every file but link.json and public.pem) are encrypted
// under a data key when Open is given one (package internal/datakey):
// readFile and writeFile are the one place that decrypts and encrypts, and
// EncryptSecrets brings a folder under the current key (from a previous
// key, or from plaintext when opened with OpenToEncrypt: Open refuses a
// plaintext secret under a key), one atomic write per file.
//
// A crash never leaves a half-made link: CreateLink writes the new link
// into links/.tmp-NAME-RANDOM and renames that folder into place, and
// DeleteLink renames the link to links/.del-NAME-RANDOM before removing
// it. Open removes such leftovers, and the temporary files of interrupted
// writes, and drops handshakes whose link is gone.
//
// Damaged files are reported, never fatal: Open still succeeds and lists
// what it could not read in [Store.Problems]; ListLinks returns a link whose
// record cannot be read as a placeholder in state "failed" whose LastError
// ([CodeCorrupt], [CodeIO] or datakey's code) names the file and says what
// to do, so that the dashboard shows it and the admin can delete it;
// GetLink of such a link returns that *fault.Error.
package store

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/internal/datakey"
	"github.com/applink/applink/oauth"
)

// Link is the record of one link (no secrets). Who approved its token,
// and the verdict, are kept with the token (Token.Approval), so that they
// are saved in the same write. Its state is no field: the server derives
// it from the token, the pending handshakes and LastError (a "state" in
// records of earlier versions is ignored).
type Link struct {
	Name           string       `json:"name"`
	JiraURL        string       `json:"jira_url"`
	ServiceAccount string       `json:"service_account"`
	Environment    string       `json:"environment"`
	ConsumerKey    string       `json:"consumer_key"`
	ConsumerName   string       `json:"consumer_name"`
	CAPEM          string       `json:"ca_pem,omitempty"` // CA certificates (PEM) Jira's certificate is checked against, besides the system's
	LastError      *fault.Error `json:"last_error,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	// Projects are the Jira project keys the integration works in, which
	// the permission audit checks.
	Projects []string `json:"projects,omitempty"`
	// Audit is the latest permission audit, run at AuditedAt with the
	// token approved at AuditToken.
	Audit      *oauth.PermissionAudit `json:"audit,omitempty"`
	AuditedAt  time.Time              `json:"audited_at,omitzero"`
	AuditToken time.Time              `json:"audit_token,omitzero"`
	// ServiceAccountID pins the service account (oauth.Judge): the matched
	// approver's ImmutableID. Whatever changes ServiceAccount must clear it.
	ServiceAccountID string `json:"service_account_id,omitempty"`
}

// Token is a link's access token (secret) with the outcome of its
// identity check: one file, written in one atomic step, so that a token is
// never saved without its verdict.
type Token struct {
	AccessToken            string    `json:"access_token"`
	TokenSecret            string    `json:"token_secret"`
	SessionHandle          string    `json:"session_handle,omitempty"`
	ExpiresAt              time.Time `json:"expires_at,omitzero"`
	AuthorizationExpiresAt time.Time `json:"authorization_expires_at,omitzero"`
	oauth.Approval
	// Refused is a later approval that did not replace this token (this
	// one acts as the service account, that one does not), kept beside it
	// until a person acts; its token was not kept.
	Refused *oauth.Approval `json:"refused,omitempty"`
}

// Handshake is a pending handshake: started by applink, waiting for Jira's
// callback. ID is random and unguessable; it names the approval link.
// CreatedAt and ExpiresAt are its request token's (see OAuth).
type Handshake struct {
	ID           string    `json:"id"`
	Link         string    `json:"link"`
	RequestToken string    `json:"request_token"`
	TokenSecret  string    `json:"token_secret"` // secret
	AuthorizeURL string    `json:"authorize_url"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	// Tries counts the callbacks Jira refused (a wrong verifier): the
	// handshake stays pending for the real approver until too many.
	Tries int `json:"tries,omitempty"`
}

// Store is the data folder. It is safe for concurrent use by one process;
// Open takes an exclusive lock so that two processes never share a folder.
type Store struct {
	dir  string   // absolute
	root *os.Root // the data folder
	lock *os.File // holds the flock

	failWrites atomic.Pointer[func(op, path string) error] // see FailWrites
	dataKeys   []*datakey.Key                              // the first encrypts, all decrypt; none: plaintext (see Open)
	plainOK    bool                                        // plaintext secrets are read as they are (see OpenToEncrypt)

	mu         sync.Mutex
	closed     bool
	handshakes map[string]Handshake // pending handshakes by ID, loaded at Open
	sessions   map[string]Session   // signed-in sessions by sessionKey, loaded at Open
	problems   []string
}

// Codes of the store's failures, each a *fault.Error.
const (
	CodeNotFound fault.Code = "not_found"      // no such link, record, page or API route
	CodeExists   fault.Code = "already_exists" // a link of that name exists
	CodeInvalid  fault.Code = "invalid"        // a record the store refuses to save
	// CodeIO: the data folder could not be read or written. When the disk
	// is full, read-only or not ours to write, the message says so and the
	// hint says what to do.
	CodeIO     fault.Code = "storage_error"
	CodeLocked fault.Code = "data_dir_locked" // another applink process has the data folder open
	// CodeCorrupt: a file in the data folder cannot be read back (not
	// JSON, missing fields, a key that does not parse). The message names
	// the file; restore it from a backup or delete the link.
	CodeCorrupt fault.Code = "corrupt_record"
)

// OAuth returns the access token and its secret, for signing calls as
// its approver.
func (t *Token) OAuth() oauth.Token {
	return oauth.Token{Token: t.AccessToken, Secret: t.TokenSecret}
}

// OAuth returns the handshake's request token, whose Expired is the one
// expiry rule of a pending approval.
func (h *Handshake) OAuth() *oauth.RequestToken {
	return &oauth.RequestToken{
		Token:        oauth.Token{Token: h.RequestToken, Secret: h.TokenSecret},
		AuthorizeURL: h.AuthorizeURL,
		IssuedAt:     h.CreatedAt,
		ExpiresAt:    h.ExpiresAt,
	}
}
