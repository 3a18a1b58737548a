// Package store keeps the web service's state in a data folder: per link
// its key pair, its record and its access token, the pending handshakes, the
// admin token and the session keys. Folders are 0700, files 0600, every
// write atomic (temporary file, fsync, rename), so a crash or a restart
// loses nothing that was saved and never leaves a half-written file.
//
// Layout under the data folder:
//
//	admin-token                  the admin token (when not from the environment)
//	session-keys                 hash and encryption keys of the session cookie
//	links/NAME/link.json         the link's record (no secrets)
//	links/NAME/private.pem       the link's RSA private key (PKCS#8)
//	links/NAME/public.pem        its public key
//	links/NAME/token.json        the access token and secret, when approved
//	handshakes/ID.json           a pending handshake (request token + secret)
package store

import (
	"crypto/rsa"
	"time"

	"github.com/applink/applink/oauth"
)

// Link states.
const (
	StateNew              = "new"
	StateAwaitingApproval = "awaiting_approval"
	StateAuthorized       = "authorized"
	StateDenied           = "denied"
	StateFailed           = "failed"
)

// ErrorInfo is a failure as shown to people and programs.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Link is the record of one link (no secrets).
type Link struct {
	Name                string          `json:"name"`
	JiraURL             string          `json:"jira_url"`
	ServiceAccount      string          `json:"service_account"`
	Environment         string          `json:"environment"`
	ConsumerKey         string          `json:"consumer_key"`
	ConsumerName        string          `json:"consumer_name"`
	State               string          `json:"state"`
	AuthorizedAs        *oauth.Identity `json:"authorized_as,omitempty"`
	ServiceAccountMatch *bool           `json:"service_account_match,omitempty"`
	AuthorizedAt        *time.Time      `json:"authorized_at,omitempty"`
	TokenExpiresAt      *time.Time      `json:"token_expires_at,omitempty"`
	Warnings            []string        `json:"warnings"`
	LastError           *ErrorInfo      `json:"last_error,omitempty"`
	CreatedAt           time.Time       `json:"created_at"`
	UpdatedAt           time.Time       `json:"updated_at"`
}

// Token is a link's access token (secret).
type Token struct {
	AccessToken            string    `json:"access_token"`
	TokenSecret            string    `json:"token_secret"`
	SessionHandle          string    `json:"session_handle,omitempty"`
	ExpiresAt              time.Time `json:"expires_at,omitzero"`
	AuthorizationExpiresAt time.Time `json:"authorization_expires_at,omitzero"`
	ApprovedAt             time.Time `json:"approved_at"`
}

// Handshake is a pending handshake: started by applink, waiting for Jira's
// callback. ID is random and unguessable; it names the approval link.
type Handshake struct {
	ID           string    `json:"id"`
	Link         string    `json:"link"`
	RequestToken string    `json:"request_token"`
	TokenSecret  string    `json:"token_secret"` // secret
	AuthorizeURL string    `json:"authorize_url"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// Store is the data folder. It is safe for concurrent use by one process;
// Open takes an exclusive lock so that two processes never share a folder.
type Store struct {
	// unexported
}

// Error codes of *Error.
const (
	CodeNotFound = "not_found"
	CodeExists   = "already_exists"
	CodeInvalid  = "invalid"
	CodeIO       = "storage_error"
	CodeLocked   = "data_dir_locked"
)

// Error is a storage failure with a code.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Open opens (creating when missing, mode 0700) the data folder dir.
func Open(dir string) (*Store, error) { panic("not implemented") }

// Close releases the folder's lock.
func (s *Store) Close() error { panic("not implemented") }

// Dir returns the data folder.
func (s *Store) Dir() string { panic("not implemented") }

// CreateLink saves a new link and its private key in one step: on any
// failure nothing is left behind. CodeExists when the name is taken,
// CodeInvalid when the name is not a slug (letters, digits, '-', '_', 1 to
// 64 characters).
func (s *Store) CreateLink(l *Link, key *rsa.PrivateKey) error { panic("not implemented") }

// GetLink returns a copy of a link's record (CodeNotFound if none).
func (s *Store) GetLink(name string) (*Link, error) { panic("not implemented") }

// ListLinks returns copies of every link, sorted by name.
func (s *Store) ListLinks() ([]*Link, error) { panic("not implemented") }

// UpdateLink replaces a link's record atomically (CodeNotFound if none).
func (s *Store) UpdateLink(l *Link) error { panic("not implemented") }

// DeleteLink removes a link with its keys and token and its pending
// handshakes (CodeNotFound if none).
func (s *Store) DeleteLink(name string) error { panic("not implemented") }

// PrivateKey returns a link's private key.
func (s *Store) PrivateKey(name string) (*rsa.PrivateKey, error) { panic("not implemented") }

// SaveToken saves a link's access token atomically, replacing the old one.
func (s *Store) SaveToken(name string, t *Token) error { panic("not implemented") }

// Token returns a link's access token (CodeNotFound when it has none).
func (s *Store) Token(name string) (*Token, error) { panic("not implemented") }

// DeleteToken removes a link's access token, if any.
func (s *Store) DeleteToken(name string) error { panic("not implemented") }

// SaveHandshake saves a pending handshake.
func (s *Store) SaveHandshake(h *Handshake) error { panic("not implemented") }

// Handshake returns a pending handshake by ID (CodeNotFound if none).
func (s *Store) Handshake(id string) (*Handshake, error) { panic("not implemented") }

// HandshakeByRequestToken returns the pending handshake of a request
// token, comparing in constant time (CodeNotFound if none).
func (s *Store) HandshakeByRequestToken(requestToken string) (*Handshake, error) {
	panic("not implemented")
}

// TakeHandshake removes and returns the pending handshake of a request
// token, so that it is used once: of two concurrent calls for the same
// token, exactly one gets it and the other gets CodeNotFound.
func (s *Store) TakeHandshake(requestToken string) (*Handshake, error) {
	panic("not implemented")
}

// PruneHandshakes removes pending handshakes that expired before now and
// returns how many.
func (s *Store) PruneHandshakes(now time.Time) (int, error) { panic("not implemented") }

// AdminToken returns the admin token kept in the folder, making and saving
// a random one (created true) when there is none.
func (s *Store) AdminToken() (token string, created bool, err error) { panic("not implemented") }

// SessionKeys returns the session cookie's hash key (64 bytes) and
// encryption key (32 bytes), making and saving them when missing.
func (s *Store) SessionKeys() (hashKey, encryptionKey []byte, err error) {
	panic("not implemented")
}
