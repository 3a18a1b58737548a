package server

import (
	"testing"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// TestAsErrorStore: the store's failures keep their meaning in the API, and
// Jira's not_found (which has a Step) is not taken for the store's.
func TestAsErrorStore(t *testing.T) {
	for _, tc := range []struct {
		err       error
		code, msg string
	}{
		{fault.New(store.CodeNotFound, "there is no link named \"x\"", ""), CodeNotFound, "Not found."},
		{fault.New(store.CodeExists, "a link named \"x\" already exists", ""), CodeExists, "It exists already."},
		{fault.New(store.CodeInvalid, "a link name is required", ""), CodeInvalidInput, "a link name is required"},
		{fault.New(store.CodeIO, "cannot save link \"x\": the disk is full", "free space"), CodeInternal, ""},
		{fault.New(store.CodeCorrupt, "the record of link \"x\" is damaged", ""), CodeInternal, ""},
		{&oauth.Error{Code: oauth.CodeNotFound, Step: "request_token", Message: "jira answered 404"}, CodeNotFound, "Jira answered 404"},
	} {
		if got := asError(tc.err); got.Code != tc.code || got.Message != tc.msg {
			t.Errorf("asError(%v) = %q %q, want %q %q", tc.err, got.Code, got.Message, tc.code, tc.msg)
		}
	}
}
