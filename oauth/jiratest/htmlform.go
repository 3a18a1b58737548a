package jiratest

import (
	"html"
	"strings"
)

// A small HTML reader, enough for Browser to find the forms, the hidden
// fields and the marked elements of the simulated Jira's pages (and to
// tell them from anything else). It is not a general HTML parser: it
// reads tags and attributes, skips comments, declarations and the content
// of script and style elements, and never fails.

// htmlTag is a start or end tag.
type htmlTag struct {
	name  string            // lower case; "/form" for an end tag
	attrs map[string]string // lower-case names, unescaped values
	end   int               // index just after the tag
}

// nextTag returns the first tag at or after i.
func nextTag(s string, i int) (htmlTag, bool) {
	for i < len(s) {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			return htmlTag{}, false
		}
		pos := i + lt
		rest := s[pos:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return htmlTag{}, false
			}
			i = pos + 4 + end + 3
			continue
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "<?"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return htmlTag{}, false
			}
			i = pos + end + 1
			continue
		}
		k := pos + 1
		closing := k < len(s) && s[k] == '/'
		if closing {
			k++
		}
		start := k
		for k < len(s) && isNameByte(s[k]) {
			k++
		}
		if k == start {
			i = pos + 1 // a '<' in text
			continue
		}
		t := htmlTag{name: strings.ToLower(s[start:k]), attrs: map[string]string{}}
		if closing {
			t.name = "/" + t.name
		}
		t.end = readAttrs(s, k, t.attrs)
		return t, true
	}
	return htmlTag{}, false
}

// readAttrs reads attributes from s[k:] up to the closing '>' and returns
// the index after it (len(s) when the tag is not closed).
func readAttrs(s string, k int, attrs map[string]string) int {
	for {
		for k < len(s) && (isSpace(s[k]) || s[k] == '/') {
			k++
		}
		if k >= len(s) {
			return len(s)
		}
		if s[k] == '>' {
			return k + 1
		}
		start := k
		for k < len(s) && !isSpace(s[k]) && s[k] != '=' && s[k] != '>' && s[k] != '/' {
			k++
		}
		name := strings.ToLower(s[start:k])
		if k == start { // a stray '=': skip it
			k++
			continue
		}
		for k < len(s) && isSpace(s[k]) {
			k++
		}
		value := ""
		if k < len(s) && s[k] == '=' {
			k++
			for k < len(s) && isSpace(s[k]) {
				k++
			}
			if k < len(s) && (s[k] == '"' || s[k] == '\'') {
				q := s[k]
				end := strings.IndexByte(s[k+1:], q)
				if end < 0 {
					value = s[k+1:]
					k = len(s)
				} else {
					value = s[k+1 : k+1+end]
					k = k + 1 + end + 1
				}
			} else {
				vs := k
				for k < len(s) && !isSpace(s[k]) && s[k] != '>' {
					k++
				}
				value = s[vs:k]
			}
		}
		if _, dup := attrs[name]; !dup {
			attrs[name] = html.UnescapeString(value)
		}
	}
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// tags calls f for each tag of s, skipping the content of script and
// style elements, until f returns false.
func tags(s string, f func(htmlTag) bool) {
	i := 0
	for {
		t, ok := nextTag(s, i)
		if !ok {
			return
		}
		i = t.end
		if !f(t) {
			return
		}
		if t.name == "script" || t.name == "style" {
			end := strings.Index(strings.ToLower(s[i:]), "</"+t.name)
			if end < 0 {
				return
			}
			i += end
		}
	}
}

// htmlForm is a form and its fields.
type htmlForm struct {
	id, action, method string
	fields             []formField
}

// formField is an input or a button of a form.
type formField struct {
	tag, typ, name, value string
}

// parseForms returns the forms of a page, with their inputs and buttons.
func parseForms(page string) []htmlForm {
	var forms []htmlForm
	var cur *htmlForm
	tags(page, func(t htmlTag) bool {
		switch t.name {
		case "form":
			if cur != nil {
				forms = append(forms, *cur)
			}
			cur = &htmlForm{id: t.attrs["id"], action: t.attrs["action"], method: strings.ToLower(t.attrs["method"])}
		case "/form":
			if cur != nil {
				forms = append(forms, *cur)
				cur = nil
			}
		case "input", "button":
			if cur == nil {
				break
			}
			typ := strings.ToLower(t.attrs["type"])
			if typ == "" {
				typ = "text"
				if t.name == "button" {
					typ = "submit"
				}
			}
			cur.fields = append(cur.fields, formField{tag: t.name, typ: typ, name: t.attrs["name"], value: t.attrs["value"]})
		}
		return true
	})
	if cur != nil {
		forms = append(forms, *cur)
	}
	return forms
}

// findForm returns the form with the given id.
func findForm(forms []htmlForm, id string) (htmlForm, bool) {
	for _, f := range forms {
		if f.id == id {
			return f, true
		}
	}
	return htmlForm{}, false
}

// findElement returns the first tag whose id is id, and the text that
// follows it up to the next tag (unescaped, trimmed).
func findElement(page, id string) (t htmlTag, text string, ok bool) {
	tags(page, func(tag htmlTag) bool {
		if tag.attrs["id"] != id || strings.HasPrefix(tag.name, "/") {
			return true
		}
		t, ok = tag, true
		rest := page[tag.end:]
		if lt := strings.IndexByte(rest, '<'); lt >= 0 {
			rest = rest[:lt]
		}
		text = strings.TrimSpace(html.UnescapeString(rest))
		return false
	})
	return t, text, ok
}

// pageTitle is the text of a page's title element.
func pageTitle(page string) string {
	var title string
	tags(page, func(t htmlTag) bool {
		if t.name != "title" {
			return true
		}
		rest := page[t.end:]
		if lt := strings.IndexByte(rest, '<'); lt >= 0 {
			rest = rest[:lt]
		}
		title = strings.TrimSpace(html.UnescapeString(rest))
		return false
	})
	return title
}
