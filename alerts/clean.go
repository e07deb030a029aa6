package alerts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The one sanitizer for text entering pagerd: summaries, details, actors'
// names and email subjects pass through here, whichever intake they came
// by, so what an SMS or a terminal shows is what was meant.

// Markers that end a cut text.
const (
	SummaryMarker = "…"
	DetailsMarker = "\n[truncated]"
)

// Unsafe reports runes that never belong in stored text: control
// characters (C0, DEL, C1) and the bidi embedding, override and isolate
// characters, which can make an SMS display differently from what it says.
func Unsafe(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0xFEFF
}

// CleanLine makes s one line: every run of whitespace (newlines and tabs
// included) becomes one space, dropped runes go, the ends are trimmed, and
// the result is cut to max bytes.
func CleanLine(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max+utf8.UTFMax))
	space := false
	for _, r := range s { // invalid UTF-8 comes out as U+FFFD
		switch {
		case unicode.IsSpace(r):
			space = true
		case Unsafe(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
		if b.Len() > max+utf8.UTFMax { // enough to know it will be cut
			break
		}
	}
	return Cut(b.String(), max, SummaryMarker)
}

// CleanText keeps newlines and tabs, normalises line ends to "\n", drops the
// other dropped runes, trims, and cuts to max bytes.
func CleanText(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max+utf8.UTFMax))
	for _, r := range NormNewlines(s) {
		if r == '\n' || r == '\t' || !Unsafe(r) {
			b.WriteRune(r)
		}
		if b.Len() > max+utf8.UTFMax {
			break
		}
	}
	return Cut(strings.TrimSpace(b.String()), max, DetailsMarker)
}

// NormNewlines makes every line end "\n".
func NormNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Cut cuts s to at most max bytes on a UTF-8 boundary, ending in marker.
func Cut(s string, max int, marker string) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(marker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + marker
}

// Clean passes every text of an event through the sanitizer: one line for
// the summary and origin, free text for the details, and a dedup key cut
// on a character boundary. Parsers clean as they go; this is the guarantee
// for every intake, and cleaning twice changes nothing.
func Clean(ev Event) Event {
	ev.Summary = CleanLine(ev.Summary, MaxSummary)
	ev.Details = CleanText(ev.Details, MaxDetails)
	ev.Origin = CleanLine(ev.Origin, MaxOrigin)
	ev.Route = CleanLine(ev.Route, MaxOrigin)
	ev.DedupKey = Cut(ev.DedupKey, MaxDedupKey, "")
	return ev
}
