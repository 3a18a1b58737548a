package server

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/applink/applink/fault"
)

// Markers of the README's generated table of codes.
const (
	codesBegin = "<!-- codes:begin -->\n"
	codesEnd   = "<!-- codes:end -->"
)

// declaredCode is one error code's declaration: a constant of type Code
// (fault.Code, oauth.Code) with a string value.
type declaredCode struct {
	code, pkg, comment string
	at                 []string // every place that declares it
}

// declaredCodes parses the module's non-test Go files and returns every
// code declared, sorted.
func declaredCodes(t *testing.T) []*declaredCode {
	t.Helper()
	byCode := map[string]*declaredCode{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if sel, ok := vs.Type.(*ast.SelectorExpr); !(ok && sel.Sel.Name == "Code") && !(isIdent(vs.Type, "Code")) {
					continue
				}
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					s, _ := strconv.Unquote(lit.Value)
					d := byCode[s]
					if d == nil {
						d = &declaredCode{code: s, pkg: filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../"))), comment: comment(vs)}
						byCode[s] = d
					}
					d.at = append(d.at, fset.Position(vs.Names[i].Pos()).String())
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*declaredCode
	for _, d := range byCode {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *declaredCode) int { return strings.Compare(a.code, b.code) })
	return out
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// comment is a declaration's line comment, else its doc comment, on one
// line, without the constant's name leading it.
func comment(vs *ast.ValueSpec) string {
	c := vs.Comment
	if c == nil {
		c = vs.Doc
	}
	if c == nil {
		return ""
	}
	s := strings.Join(strings.Fields(c.Text()), " ")
	s = strings.TrimPrefix(s, vs.Names[0].Name+": ")
	s = strings.TrimPrefix(s, vs.Names[0].Name+" ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// statusPrefix is the "NNN: " that some declarations' comments start with.
var statusPrefix = regexp.MustCompile(`^[0-9]{3}: `)

// codesTable renders the README's table of every code: where it comes
// from, its HTTP status in the JSON API (failures: those of the
// troubleshooting table, jira, and the service's own; none for notices,
// gaps and codes only the command line shows) and what it means.
func codesTable(codes []*declaredCode, troubleshooting string) string {
	var b strings.Builder
	b.WriteString("| code | from | HTTP status | what it means |\n|---|---|---|---|\n")
	for _, d := range codes {
		status, failure := Status(fault.Code(d.code)), strings.Contains(troubleshooting, "| `"+d.code+"` |")
		shown := "—"
		if (failure || status != http.StatusBadGateway) && (d.pkg == "server" || d.pkg == "server/store" || d.pkg == "oauth") {
			shown = strconv.Itoa(status)
		}
		means := statusPrefix.ReplaceAllString(d.comment, "")
		if means == "" && failure {
			means = "a failure at Jira: see the troubleshooting table"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.code, d.pkg, shown, means)
	}
	return b.String()
}

// TestCodesDeclaredOnce: every code is declared once, in the package that
// owns it, and the README's table of codes (generated from the
// declarations and Status) lists each; APPLINK_UPDATE_README=1 rewrites
// the table.
func TestCodesDeclaredOnce(t *testing.T) {
	codes := declaredCodes(t)
	if len(codes) < 50 {
		t.Fatalf("found %d codes; the parser missed the declarations", len(codes))
	}
	for _, d := range codes {
		if len(d.at) > 1 {
			t.Errorf("code %q is declared %d times: %s", d.code, len(d.at), strings.Join(d.at, ", "))
		}
	}
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, codesBegin), strings.Index(readme, codesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, codesBegin, codesEnd)
	}
	troubleshooting := readme[:strings.Index(readme, "<!-- failures:end -->")]
	want := readme[:i+len(codesBegin)] + codesTable(codes, troubleshooting) + readme[j:]
	if want == readme {
		return
	}
	if os.Getenv("APPLINK_UPDATE_README") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the table of codes of %s is out of date: run APPLINK_UPDATE_README=1 go test ./server -run TestCodesDeclaredOnce", path)
}
