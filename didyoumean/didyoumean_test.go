package didyoumean

import (
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	words := []string{"ann", "dan", "ack_timeout", "escalation", "summary", "dedup_key", "Europe/London"}
	for _, c := range []struct{ in, want string }{
		{"dna", "dan"},                    // a swap is one edit
		{"ack_timout", "ack_timeout"},     // a dropped letter
		{"escalaton", "escalation"},       // long names allow three
		{"sumary", "summary"},             // payload field
		{"SUMMARY", "summary"},            // case is ignored
		{"europe/londn", "Europe/London"}, // candidates keep their spelling
		{"zz", ""},                        // as many edits as letters: no guess
		{"completely-different", ""},
		{strings.Repeat("a", 65), ""}, // too long to consider
	} {
		if got := Closest(c.in, words); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"dan", "dna", 1}, {"kitten", "sitting", 3}, {"é", "e", 1},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
