package server

import (
	"testing"

	"github.com/applink/applink/fault"
	"github.com/applink/applink/keys"
	"github.com/applink/applink/oauth"
	"github.com/applink/applink/server/store"
)

// TestAsErrorStatus: every package's failure keeps its code and gets the
// status of its meaning: the store's refusals are 4xx, its I/O failures
// internal; Jira's failures (which have a Step) 502; a failure of
// applink's own key is internal, not Jira's.
func TestAsErrorStatus(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   fault.Code
		status int
	}{
		{fault.New(store.CodeNotFound, "there is no link named \"x\"", ""), store.CodeNotFound, 404},
		{fault.New(store.CodeExists, "a link named \"x\" already exists", ""), store.CodeExists, 409},
		{fault.New(store.CodeInvalid, "a link name is required", ""), store.CodeInvalid, 400},
		{fault.New(store.CodeIO, "cannot save link \"x\": the disk is full", "free space"), store.CodeIO, 500},
		{fault.New(store.CodeCorrupt, "the record of link \"x\" is damaged", ""), store.CodeCorrupt, 500},
		{fault.New(keys.CodeTooShort, "the key has 1024 bits", ""), CodeInternal, 500},
		{&oauth.Error{Code: oauth.CodeNotFound, Step: "request_token", Message: "jira answered 404"}, oauth.CodeNotFound, 502},
		{&oauth.Error{Code: oauth.CodeTimeout, Step: "myself", Message: "no answer"}, oauth.CodeTimeout, 504},
	} {
		got := asError(tc.err)
		if got.Code != tc.code || Status(got.Code) != tc.status {
			t.Errorf("asError(%v) = %q (%d), want %q (%d)", tc.err, got.Code, Status(got.Code), tc.code, tc.status)
		}
		if got.Code != CodeInternal && got.Message != upperFirst(tc.err.(*fault.Error).Message) {
			t.Errorf("asError(%v) message %q", tc.err, got.Message)
		}
	}
}
