package mail

import (
	"html"
	"strings"
)

// isBlock reports whether an element's start or end begins a new line in
// the text, so that table rows and paragraphs of an HTML alert stay one
// fact per line ("Host: db-2") and line-anchored patterns work as on a
// plain-text mail.
func isBlock(name string) bool {
	switch name {
	case "address", "article", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
		"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
		"main", "ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul":
		return true
	}
	return false
}

// isSkipped reports whether an element's content is never text a person
// reads.
func isSkipped(name string) bool {
	switch name {
	case "script", "style", "head", "title":
		return true
	}
	return false
}

// htmlToText reduces an HTML body to plain text: tags dropped, script,
// style and head dropped with their content, entities decoded, whitespace
// collapsed as a browser would, and line breaks at block elements. It is a
// small scanner rather than a full HTML parser: alert mails are simple, and
// it never fails, whatever the input.
func htmlToText(s string) string {
	var out strings.Builder
	var text strings.Builder // pending text since the last tag, still escaped
	// Line breaks in the source are just whitespace in HTML; the text's
	// line breaks come from block elements only (so <pre> is flattened).
	unwrap := strings.NewReplacer("\r", " ", "\n", " ", "\t", " ")
	flush := func() {
		out.WriteString(html.UnescapeString(unwrap.Replace(text.String())))
		text.Reset()
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' || !startsTag(s, i) {
			text.WriteByte(c)
			i++
			continue
		}
		flush()
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break // an unclosed tag: the rest is markup, not text
		}
		name, closing := tagName(s[i+1 : i+end])
		i += end + 1
		if isSkipped(name) && !closing {
			// Skip to the matching end tag (or the end of the document).
			j := indexFold(s[i:], "</"+name)
			if j < 0 {
				break // skipped to the end of the document
			}
			i += j
			continue
		}
		switch {
		case isBlock(name):
			out.WriteByte('\n')
		case name == "td" || name == "th":
			out.WriteByte(' ')
		}
	}
	flush()
	return tidyLines(out.String())
}

// startsTag reports whether the '<' at s[i] opens markup rather than being
// a literal "a < b".
func startsTag(s string, i int) bool {
	if i+1 >= len(s) {
		return false
	}
	c := s[i+1]
	return c == '/' || c == '!' || c == '?' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// tagName returns the lower-case element name of a tag's inside ("p
// class=x", "/td", "br/").
func tagName(inside string) (name string, closing bool) {
	if strings.HasPrefix(inside, "/") {
		closing = true
		inside = inside[1:]
	}
	n := 0
	for n < len(inside) {
		c := inside[n] | 0x20
		if !(c >= 'a' && c <= 'z' || inside[n] >= '0' && inside[n] <= '9') {
			break
		}
		n++
	}
	return strings.ToLower(inside[:n]), closing
}

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// tidyLines collapses whitespace (including &nbsp;) within each line to
// single spaces and drops blank lines.
func tidyLines(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.Join(strings.Fields(stripControl(strings.ReplaceAll(l, "\u00a0", " "))), " ")
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
