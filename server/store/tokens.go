package store

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/applink/applink/oauth"
)

// decodeToken parses a token record; the access token is required. A
// record written before tokens kept their verdict reads as
// oauth.VerdictUnknown: approve again to check who approved it.
func decodeToken(data []byte) (*Token, error) {
	return decode(data, "token", func(t *Token) error {
		if t.AccessToken == "" {
			return errors.New("no access token in it")
		}
		if !t.Verdict.Valid() {
			t.Verdict = oauth.VerdictUnknown
		}
		return nil
	})
}

// SaveToken saves a link's access token with its approval atomically,
// replacing the old one: afterwards Token returns either the old token or
// the new one, whole (CodeNotFound if there is no such link, CodeInvalid
// when the access token is empty or the verdict is not one of oauth's).
func (s *Store) SaveToken(name string, t *Token) error {
	if t == nil || t.AccessToken == "" {
		return newError(CodeInvalid, nil, "link %q: no access token given", name)
	}
	if !t.Verdict.Valid() {
		return newError(CodeInvalid, nil, "link %q: the access token has no verdict", name)
	}
	data, err := marshal(t)
	if err != nil {
		return newError(CodeInvalid, nil, "link %q: the access token cannot be encoded", name)
	}
	_, err = onLink(s, name, func() (struct{}, error) {
		return struct{}{}, s.writeFile(linkPath(name, tokenFile), data, false)
	})
	if err != nil {
		return ioError(err, "cannot save the access token of link %q: %v", name) // a *fault.Error as it is
	}
	return nil
}

// Token returns a link's access token (CodeNotFound when there is no such
// link or it has no token, CodeCorrupt when its token file cannot be read).
func (s *Store) Token(name string) (*Token, error) {
	return onLink(s, name, func() (*Token, error) { return s.token(name) })
}

// token is Token of a checked link. The caller holds s.mu.
func (s *Store) token(name string) (*Token, error) {
	data, err := s.readLinkFile(name, tokenFile, "access token")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, newError(CodeNotFound, nil, "link %q has no access token: it has not been approved yet", name)
	} else if err != nil {
		return nil, err
	}
	t, err := decodeToken(data)
	if err != nil {
		return nil, newError(CodeCorrupt, nil, "the access token of link %q (%s) is damaged (%v): approve the link again to replace it",
			name, s.abs(linkPath(name, tokenFile)), err)
	}
	return t, nil
}

// tokenNames returns the names a link's token file rel may be sealed for
// under a data key: rel@TAG for each tag of its tags file, else rel.
func (s *Store) tokenNames(rel string) []string {
	data, err := s.readFile(filepath.Join(filepath.Dir(rel), tagsFile))
	tags := strings.Fields(string(data))
	if err != nil || len(tags) == 0 {
		return []string{rel}
	}
	for i, tag := range tags {
		tags[i] = rel + "@" + tag
	}
	return tags
}

// writeToken writes a link's token file rel under a data key: sealed for
// rel and a new random tag, added to the link's (sealed) tags file before
// and left alone in it after, so that an older token file put back is
// refused and a crash leaves the old or new token readable. s.mu held.
func (s *Store) writeToken(rel string, data []byte) error {
	tags := filepath.Join(filepath.Dir(rel), tagsFile)
	old, _ := s.readFile(tags) // missing or damaged: no older tag is kept
	tag := randomHex(16)
	if err := s.writeFile(tags, append(old, tag+"\n"...), false); err != nil {
		return err
	}
	if err := s.writeFileAs(rel, rel+"@"+tag, data, false); err != nil {
		return err
	}
	// A failure leaves the older tag too, dropped by the next save.
	_ = s.writeFile(tags, []byte(tag+"\n"), false)
	return nil
}
