// Package jiratest is a simulated Jira that behaves, as an OAuth 1.0a
// provider, the way Jira Server, Data Center and Cloud do: it verifies
// RSA-SHA1 signatures with the consumer's public key (parsed as Jira parses
// its Public Key field, by keys.ParsePublicKey), refuses reused nonces and
// timestamps more than 5 minutes off, issues request tokens that expire
// after 10 minutes and verifiers that work once, serves a login form and an
// Allow/Deny page, answers errors as Jira does (401, oauth_problem in the
// body and in WWW-Authenticate, Jira's base string on signature_invalid),
// and serves /rest/api/2/myself (Server or Cloud shape), mypermissions,
// serverInfo, the create metadata (the old createmeta and Jira 9's
// per-project form, by flavor and Version; HideReporter takes Reporter off
// a project's create screen), and small search and project answers. REST
// calls may also use Basic authentication, with Jira's CAPTCHA lockout.
//
// It can be told to misbehave (Faults): a clock offset, an HTML SSO page in
// front of everything, slowness, 5xx answers, another baseUrl in
// serverInfo, an Application Link without a Public Key.
//
// It computes signature base strings on its own, from the request as
// received (RFC 5849 3.4.1: Authorization header without the realm, query
// and URL-encoded form body, repeated names kept; the scheme, host and path
// this server sees), independently of package oauth, so that it catches
// the consumer's mistakes instead of sharing them.
//
// Browser plays the person who approves, over HTTP. Tests start the
// simulated Jira with NewServer; `applink demo` serves it on loopback.
package jiratest

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
)

// Codes of the *fault.Error failures of the simulated Jira's Go API and of
// Browser. Their Message is one line for people and never holds a
// password, a token secret or a verifier; Status is the HTTP status of the
// page that caused a Browser failure, 0 otherwise.
const (
	CodeBadInput                  = oauth.CodeBadInput       // an empty consumer key, user name... (oauth's code)
	CodeUnknownToken   fault.Code = "token_unknown"          // no such request token (or it was deleted)
	CodeTokenExpired              = oauth.CodeRequestExpired // the request token is older than RequestTokenTTL (oauth's code)
	CodeTokenUsed      fault.Code = "token_used"             // the request token was already approved or denied
	CodeUnknownUser    fault.Code = "user_unknown"           // no user of that name
	CodeLoginFailed    fault.Code = "login_failed"           // the login form refused the user name or password
	CodeUnexpectedPage fault.Code = "unexpected_page"        // Browser met a page it does not know (SSO, error, 404...)
	CodeHTTP           fault.Code = "http_error"             // Browser could not get a page at all
)

// Flavor selects the shape of /rest/api/2/myself and serverInfo.
type Flavor string

// Flavors.
const (
	Server     Flavor = "server"     // Server: name, key, emailAddress; deploymentType "Server"
	DataCenter Flavor = "datacenter" // Data Center: as Server, with deploymentType "DataCenter"
	Cloud      Flavor = "cloud"      // Cloud: accountId, accountType; email may be hidden
)

// User is an account of the simulated Jira.
type User struct {
	Name        string // username (Server); the login form also takes Email
	Key         string // user key, e.g. JIRAUSER10100 (Server)
	AccountID   string // Cloud account id
	Email       string
	DisplayName string
	Password    string
	HideEmail   bool // Cloud privacy: no emailAddress in myself
	// APIToken is the Cloud API token Basic authentication takes with
	// Email (Cloud refuses the account password there).
	APIToken string
	// Permissions held, by project key ("" for global permissions).
	Permissions map[string][]string
}

// Faults make the simulated Jira misbehave. The zero value is a healthy
// Jira.
type Faults struct {
	// ClockOffset is added to the simulated Jira's clock.
	ClockOffset time.Duration
	// SSOPage answers every request (OAuth and REST endpoints, the
	// authorize page) with a 200 HTML login page of an SSO proxy, as a SAML
	// proxy in front of Jira does.
	SSOPage bool
	// Latency delays every answer. A request whose context ends first
	// (the client gave up) gets no answer.
	Latency time.Duration
	// Status5xx, when not zero, is the status of every answer (502, 503...)
	// with an HTML proxy error page; a value outside 500-599 means 502.
	Status5xx int
	// BaseURL, when set, is the baseUrl serverInfo answers instead of the
	// URL the request came to, as a Jira behind a proxy, or configured
	// with another context path, does.
	BaseURL string
	// RejectRSA answers signature_method_rejected to every signed
	// request, as Jira does for an Application Link whose incoming
	// authentication has no Public Key.
	RejectRSA bool
}

// Options configure a new simulated Jira.
type Options struct {
	Flavor Flavor
	// ContextPath such as "/jira"; empty for none. Requests outside it get
	// Jira's 404 page.
	ContextPath string
	// Now is the clock (time.Now when nil); Faults.ClockOffset is added.
	Now func() time.Time
	// TimestampWindow is how far a timestamp may be from the clock
	// (5 minutes when zero).
	TimestampWindow time.Duration
	// RequestTokenTTL is the life of a request token (10 minutes when zero).
	RequestTokenTTL time.Duration
	// AccessTokenTTL is sent as oauth_expires_in (5 years when zero).
	AccessTokenTTL time.Duration
	// Version is the Jira version Server and Data Center claim ("9.12.2"
	// when empty); it decides which create-metadata forms are served.
	Version string
}

// Jira is a simulated Jira. It is an http.Handler; NewServer serves it in
// a test. It is safe for concurrent use.
type Jira struct {
	flavor      Flavor
	contextPath string
	now         func() time.Time
	window      time.Duration
	requestTTL  time.Duration
	accessTTL   time.Duration
	ver         string // the version Jira claims

	mu        sync.Mutex
	faults    Faults
	consumers map[string]*consumer
	users     map[string]*User // by lower-case Name
	tokens    map[string]*token
	nonces    map[nonceKey]int64 // nonce -> its oauth_timestamp
	sessions  map[string]*session
	lastPrune time.Time
	hidden    map[string][]string // project -> issue types without Reporter on the create screen
	failures  map[string]int      // failed Basic logins by lower-case user name
}

// Defaults of Options.
const (
	DefaultTimestampWindow = 5 * time.Minute
	DefaultRequestTokenTTL = 10 * time.Minute
	DefaultAccessTokenTTL  = 157680000 * time.Second // 5 years, as Jira says
)

// New returns a simulated Jira with no consumers and no users. An unknown
// Flavor means Server; zero durations take the defaults.
func New(opts Options) *Jira {
	j := &Jira{
		flavor:      opts.Flavor,
		contextPath: normalizeContextPath(opts.ContextPath),
		now:         opts.Now,
		window:      cmp.Or(opts.TimestampWindow, DefaultTimestampWindow),
		requestTTL:  cmp.Or(opts.RequestTokenTTL, DefaultRequestTokenTTL),
		accessTTL:   cmp.Or(opts.AccessTokenTTL, DefaultAccessTokenTTL),
		ver:         cmp.Or(opts.Version, "9.12.2"),
		consumers:   map[string]*consumer{},
		users:       map[string]*User{},
		tokens:      map[string]*token{},
		nonces:      map[nonceKey]int64{},
		sessions:    map[string]*session{},
		hidden:      map[string][]string{},
		failures:    map[string]int{},
	}
	if j.now == nil {
		j.now = time.Now
	}
	if j.flavor == Cloud {
		j.ver = "1001.0.0-SNAPSHOT"
	} else if j.flavor != DataCenter {
		j.flavor = Server
	}
	return j
}

// normalizeContextPath turns "jira/", "/jira/" and "/jira" into "/jira",
// and "" or "/" into "".
func normalizeContextPath(p string) string {
	if p = strings.Trim(p, "/"); p != "" {
		return "/" + p
	}
	return ""
}

// Flavor returns the flavor this Jira simulates (Server when Options
// named none).
func (j *Jira) Flavor() Flavor { return j.flavor }

// ContextPath returns the normalized context path ("" or "/jira").
func (j *Jira) ContextPath() string { return j.contextPath }

// nowLocked is the simulated clock. j.mu must be held.
func (j *Jira) nowLocked() time.Time { return j.now().Add(j.faults.ClockOffset) }

// AddConsumer registers an Application Link's incoming authentication, as
// an admin does in Jira's form: publicKey is parsed the way Jira parses the
// Public Key field (X.509 SubjectPublicKeyInfo, with or without the PEM
// header lines). Editing an existing consumer (same key) deletes every token
// issued to it, as Jira does. It returns the error of keys.ParsePublicKey
// for a key Jira would refuse, and a *fault.Error with CodeBadInput for an empty
// consumer key.
func (j *Jira) AddConsumer(consumerKey, name string, publicKey []byte, callbackURL string) error {
	if strings.TrimSpace(consumerKey) == "" {
		return &fault.Error{Code: CodeBadInput, Message: "the consumer key is empty"}
	}
	pub, err := keys.ParsePublicKey(publicKey)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.deleteTokensLocked(consumerKey) // there are some only when the consumer exists
	j.consumers[consumerKey] = &consumer{key: consumerKey, name: cmp.Or(name, consumerKey), pub: pub, callback: callbackURL}
	return nil
}

// RemoveConsumer deletes an Application Link and its tokens.
func (j *Jira) RemoveConsumer(consumerKey string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.consumers, consumerKey)
	j.deleteTokensLocked(consumerKey)
}

// AddUser adds or replaces a user, by Name (compared without regard to
// case, as Jira compares usernames). A missing Key is made up as
// JIRAUSERnnnnn and a missing AccountID as 24 hex digits, both derived from
// the Name, so that myself always has them. The Permissions map is copied.
func (j *Jira) AddUser(u User) {
	u.Key = cmp.Or(u.Key, fmt.Sprintf("JIRAUSER%d", 10000+int(nameHash(u.Name)%90000)))
	u.AccountID = cmp.Or(u.AccountID, fmt.Sprintf("%024x", nameHash(u.Name))[:24])
	u.Permissions = maps.Clone(u.Permissions)
	for p, ks := range u.Permissions {
		u.Permissions[p] = slices.Clone(ks)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.users[strings.ToLower(u.Name)] = &u
}

// sameName reports whether two user names (or emails) are the same to
// Jira, which compares them lower-cased, without Unicode case folding.
//
//lint:ignore SA6005 strings.EqualFold folds Unicode: "ſ" would be "s".
func sameName(a, b string) bool { return strings.ToLower(a) == strings.ToLower(b) }

// nameHash is a stable number derived from a user name.
func nameHash(name string) uint64 {
	h := sha256.Sum256([]byte(strings.ToLower(name)))
	return binary.BigEndian.Uint64(h[:8])
}

// SetFaults replaces the current faults.
func (j *Jira) SetFaults(f Faults) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.faults = f
}

// Faults returns the current faults.
func (j *Jira) Faults() Faults {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.faults
}

// RevokeAccessTokens revokes every access token approved by the named
// user, as the user does in Profile > Tools > View OAuth Access Tokens.
func (j *Jira) RevokeAccessTokens(userName string) {
	name := strings.ToLower(userName)
	j.mu.Lock()
	defer j.mu.Unlock()
	maps.DeleteFunc(j.tokens, func(_ string, t *token) bool { return t.kind == accessToken && t.user == name })
}
