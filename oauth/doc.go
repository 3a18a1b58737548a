// Package oauth is the consumer side of Jira's OAuth 1.0a (RSA-SHA1): the
// request-token / authorize / access-token handshake, signed REST calls,
// the diagnosis of every failure Jira (or what stands in front of it) can
// give, the checks of who approved the token and what that account may do,
// and the Application Link configuration a Jira admin types in
// (NewAppLinkConfig).
//
// Signatures are made with github.com/dghubble/oauth1's RSA signer over a
// base string this package builds itself (RFC 5849 section 3.4.1), because
// dghubble/oauth1 drops repeated query keys and Jira then answers
// signature_invalid.
//
// This package returns errors and never logs. Every call to Jira takes a
// context and is bounded by Consumer.Timeout.
package oauth
