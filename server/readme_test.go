package server

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/applink/applink/oauth"
)

// TestREADMENamesEveryLinkField checks that the README's paragraph on what
// a link is ("A link is ...") names every JSON field of a link, of its
// applink object and of its authorized_as, so that a field added to the
// API reaches its documentation.
func TestREADMENamesEveryLinkField(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, para, ok := strings.Cut(string(readme), "\nA link is ")
	if !ok {
		t.Fatal("README.md has no paragraph starting \"A link is\"")
	}
	para, _, _ = strings.Cut(para, "\n\n")
	for _, v := range []any{LinkView{}, oauth.AppLinkConfig{}, oauth.Identity{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" && !strings.Contains(para, "`"+name+"`") {
				t.Errorf("README.md's paragraph on a link lacks %s's field `%s`", typ.Name(), name)
			}
		}
	}
}
