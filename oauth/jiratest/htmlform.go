package jiratest

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parsePage parses a page as a browser does; a page that cannot be parsed
// is an empty document, which Browser reports as an unexpected page.
func parsePage(body string) *html.Node {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return &html.Node{Type: html.DocumentNode}
	}
	return doc
}

// element returns the first element of doc whose id is id, or nil.
func element(doc *html.Node, id string) *html.Node {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			return n
		}
	}
	return nil
}

// attr returns the value of n's attribute key, "" when it has none (or n
// is nil).
func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text returns the text inside n (nil: ""), trimmed.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// pageTitle returns the text of the title element of doc.
func pageTitle(doc *html.Node) string {
	for n := range doc.Descendants() {
		if n.DataAtom == atom.Title {
			return text(n)
		}
	}
	return ""
}

// htmlForm is a form and its fields, in document order.
type htmlForm struct {
	action, method string // method in lower case
	fields         []formField
}

// formField is an input or a button: its type (lower case; "submit" for a
// button without one), name and value.
type formField struct{ typ, name, value string }

// findForm returns the form of doc whose id is id.
func findForm(doc *html.Node, id string) (htmlForm, bool) {
	n := element(doc, id)
	if n == nil || n.DataAtom != atom.Form {
		return htmlForm{}, false
	}
	f := htmlForm{action: attr(n, "action"), method: strings.ToLower(attr(n, "method"))}
	for d := range n.Descendants() {
		if d.DataAtom == atom.Input || d.DataAtom == atom.Button {
			typ := strings.ToLower(attr(d, "type"))
			if typ == "" && d.DataAtom == atom.Button {
				typ = "submit"
			}
			f.fields = append(f.fields, formField{typ, attr(d, "name"), attr(d, "value")})
		}
	}
	return f, true
}
