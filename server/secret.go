package server

import (
	"fmt"

	"github.com/rs/zerolog"
)

// redacted is what a secret prints as.
const redacted = "[redacted]"

// secret holds a secret (the admin token, a token secret, a private key)
// so that printing or logging it by mistake shows "[redacted]": fmt's
// verbs, JSON, text marshaling and zerolog all see the redacted form. The
// value is reached only with reveal.
type secret string

// reveal returns the secret itself, for the one place that needs it.
func (s secret) reveal() string { return string(s) }

// String implements fmt.Stringer.
func (secret) String() string { return redacted }

// Format prints "[redacted]" for every verb, %#v, %x and %q included.
func (secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalText implements encoding.TextMarshaler (JSON and zerolog's
// Interface use it).
func (secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalZerologObject implements zerolog.LogObjectMarshaler.
func (secret) MarshalZerologObject(e *zerolog.Event) { e.Str("value", redacted) }
