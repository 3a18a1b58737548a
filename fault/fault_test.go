package fault_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/applink/applink/fault"
)

func TestError(t *testing.T) {
	cause := errors.New("disk on fire")
	e := fault.Wrap(cause, "storage_error", "cannot save\nthe link", "free space")
	if got, want := e.Error(), "cannot save the link (free space)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := fault.New("denied", "", "").Error(); got != "denied" {
		t.Errorf("an error without a message prints %q, want its code", got)
	}
	wrapped := fmt.Errorf("saving: %w", e)
	if got, ok := fault.As(wrapped); !ok || got != e {
		t.Errorf("As found %v, %v", got, ok)
	}
	if !errors.Is(wrapped, cause) || fault.CodeOf(wrapped) != "storage_error" || !fault.Is(wrapped, "x", "storage_error") {
		t.Error("the cause or the code is lost through wrapping")
	}
	if fault.CodeOf(cause) != "" || fault.Is(cause, "") {
		t.Error("a plain error has a code")
	}
	var nilErr *fault.Error
	if nilErr.Error() != "<nil>" {
		t.Error("a nil *Error does not print <nil>")
	}
}

func TestJSON(t *testing.T) {
	e := &fault.Error{Code: "jira_not_found", Message: "m", Hint: "h", Step: "request_token", Status: 404,
		SignatureBaseString: "secret-ish", Err: errors.New("cause")}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"code":"jira_not_found","message":"m","hint":"h","step":"request_token"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb\r\n c":         "a b c",
		"\x1b[2Jred\x07":     "[2Jred",
		"  lead and trail  ": "lead and trail",
		"bad \xff utf8":      "bad ? utf8",
		"zero\u200bwidth":    "zero width",
	} {
		if got := fault.OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
