package mail

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseAndRoute: whatever arrives by mail, Parse and Route never panic,
// and a parsed Message keeps its promises.
func FuzzParseAndRoute(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		f.Add(readFixture(f, filepath.Base(name)), uint16(4096))
		f.Add(readFixture(f, filepath.Base(name)), uint16(40)) // cut mid-body
	}
	f.Add([]byte("Subject: x\nContent-Type: text/html\n\n<p>a<script>"), uint16(0))
	r := testRota(f)
	f.Fuzz(func(t *testing.T, raw []byte, limit uint16) {
		m, err := Parse(raw, int(limit))
		if err != nil {
			return
		}
		max := int(limit)
		if max == 0 {
			max = DefaultMaxBody
		}
		if strings.ContainsAny(m.Subject, "\r\n") || !utf8.ValidString(m.Subject) {
			t.Errorf("subject not one valid line: %q", m.Subject)
		}
		if !utf8.ValidString(m.Body) || len(m.Body) > max {
			t.Errorf("body: valid %v, len %d > %d", utf8.ValidString(m.Body), len(m.Body), max)
		}
		if m.From != strings.ToLower(m.From) {
			t.Errorf("from not lower-case: %q", m.From)
		}
		if mt, ok := Route(r, m); ok && (mt.Team == "" || mt.Route == "") {
			t.Errorf("match without team or route: %#v", mt)
		}
	})
}
