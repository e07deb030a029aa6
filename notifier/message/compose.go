// Package message holds the words of a page: the SMS people read, what a
// voice call says, how their replies are understood and what they are
// answered. It is pure: no I/O, no clock, no state, so the webhook
// handlers, the engine and the tests all agree on every character.
package message

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Alert is one alert as it is paged to one person.
type Alert struct {
	ID      int64
	Team    string
	Summary string
	Shadow  bool          // the person gets it as a shadow (learning): their ack doesn't stop paging
	Late    time.Duration // >0: the page is late (the leader was down); said briefly
	Count   int           // times received (dedup); >1 is shown as "(x3)"
}

const (
	// maxRunes is where clean stops reading a team or summary: more than
	// one segment can ever show, so a cut is still visible as a cut.
	maxRunes = GSMSingle + 1
	// minBundleSummary is the fewest runes (cut marker included) a summary
	// is shortened to in a bundle before alerts are left out instead: a
	// list of ids with four-letter stubs tells a person nothing.
	minBundleSummary = 20
	// maxShown bounds the alerts a bundle can list: "#1; " is the shortest
	// item, so no more than 40 ever fit in 160 septets.
	maxShown = 40
	// tooLong is more bytes than any one-segment message has (160 runes
	// of at most 4 bytes): render stops building there.
	tooLong = 4*GSMSingle + 1
)

// Compose writes one SMS to one person about one or more alerts, oldest
// first (the engine hands them newest last). It returns "" for none. It is
// ComposeHeld with no hold.
//
// One alert:
//
//	#42 payments: Checkout error rate 12%. Reply 42a ack, 42r resolve, ? help
//
// Several:
//
//	3 alerts: #42 payments: Checkout error rate 12%; #43 payments: DB replica lag 40s; #44 search: Index is stale. Reply 'ack all' or 42a. ? help
//
// A shadow's copy starts "[shadow] " (in a bundle mixing both, the shadow
// items carry "(shadow)" instead). An alert received more than once shows
// "(x3)", a late page "(4m late)", together "(x3, 4m late)". A message the
// person's rate limit held back says so once (see ComposeHeld).
//
// The result is always exactly one segment (see Segments) and valid UTF-8.
// Teams and summaries are first made one line (white space runs become one
// space; control and invisible format characters go; invalid UTF-8 becomes
// '?'). Then these steps apply in order, each only as far as needed:
//
//  1. Characters with a faithful GSM-7 spelling are transliterated: curly
//     quotes, dashes, "…" to "...", maths signs, Latin letters with accents
//     GSM-7 lacks, Greek words (ELOT 743: "Ελληνικά" is "Ellinika"; a word
//     of only GSM-7 capitals such as "ΔΦΓ" stays) and Cyrillic (no-break
//     and other spaces already became spaces). If the whole message is
//     then GSM-7, it has 160 septets.
//  2. Summaries are shortened to a common cap L: each shows at most L runes;
//     one that is cut ends in "..." ("…" in a UCS-2 message), counted
//     within L. Trailing spaces and , ; : are trimmed, before the marker
//     too. L is the largest cap for which the message fits.
//  3. In a bundle, L may not go below 20 (or the longest listed summary, if
//     shorter); instead the newest alerts are left out and "+N more" is
//     said. Compose lists the largest number of the oldest alerts for which
//     some such L fits, then uses the largest L. The reply hint names the
//     oldest listed alert. A lone listed alert's summary may shrink to
//     nothing, and is then left out with its ": ".
//  4. The id, team, "[shadow]" and reply hint are never cut in practice: they
//     give way only if they cannot fit even without any summary (a team far
//     longer than rota's 63-character ids, or a team that is not GSM-7).
//     Then the "(x3, 4m late)" marks go, then the hint shortens to "Reply
//     42a ack, ? help" and "Reply 42a ack" (bundle: "Reply 'ack all' or
//     42a", "Reply 'ack all'"), and last the team is cut.
//
// Words are never lost. A summary with letters or digits that have no
// faithful GSM-7 form (CJK, Arabic, Hebrew, Thai...) makes the message
// UCS-2, which has room for only 70 UTF-16 units: Compose follows steps 2-4
// as UCS-2, keeping the summaries' own characters, and the id and reply
// hint as ever. A summary whose only characters without a GSM-7 form are
// symbols (emoji, dingbats) is laid out both ways: as UCS-2, and as GSM-7
// with each run of those symbols shown as "(?)". It sends the UCS-2 one
// unless the GSM-7 one lists more alerts, or as many alerts and more
// letters and digits of their summaries. So "🔥 Checkout down" arrives with
// its emoji, but a long summary merely decorated with an emoji arrives as
// "(?) Checkout error rate..." in 160 characters, not 20.
//
// Compose is deterministic: the same alerts always give the same text.
func Compose(alerts []Alert) string { return ComposeHeld(alerts, 0) }

// ComposeHeld is Compose for a message the person's rate limit held back
// for held (at least a second): it says so once, as a mark like "(4m
// late)": "#42 payments (held 30s, rate limit): ..." or, for a bundle, "3
// alerts (held 30s, rate limit): ...". Lateness ("late") is only for
// pages that went out later than due for other reasons (no leader).
func ComposeHeld(alerts []Alert, held time.Duration) string {
	if len(alerts) == 0 {
		return ""
	}
	shown := alerts[:min(len(alerts), maxShown)]
	orig := make([]entry, len(shown))
	trans := make([]entry, len(shown))
	allGSM, framesGSM, words := true, true, false
	for i, a := range shown {
		orig[i] = entry{
			id:      strconv.FormatInt(a.ID, 10),
			team:    clean(a.Team, maxRunes),
			summary: clean(a.Summary, maxRunes),
			shadow:  a.Shadow,
		}
		if a.Count > 1 {
			orig[i].marks = append(orig[i].marks, "x"+strconv.Itoa(a.Count))
		}
		if a.Late > 0 {
			orig[i].marks = append(orig[i].marks, lateText(a.Late)+" late")
		}
		trans[i] = orig[i]
		trans[i].team = transliterate(orig[i].team)
		trans[i].summary = transliterate(orig[i].summary)
		orig[i].teamText = string(orig[i].team)
		trans[i].teamText = string(trans[i].team)
		framesGSM = framesGSM && isGSM(trans[i].teamText)
		allGSM = allGSM && isGSM(string(trans[i].summary))
		words = words || hasForeignWords(trans[i].summary)
	}
	c := composer{n: len(alerts), allShadow: allShadow(alerts)}
	if held >= time.Second {
		c.held = "held " + lateText(held) + ", rate limit"
	}
	if allGSM && framesGSM {
		return c.search(trans, "...").text
	}
	ucs := c.search(orig, "…")
	if !framesGSM || words {
		// A team with no GSM-7 spelling keeps the message UCS-2 anyway;
		// and words with no faithful Latin form are never dropped.
		return ucs.text
	}
	for i := range trans {
		trans[i].summary = gsmMarked(trans[i].summary)
	}
	gsm := c.search(trans, "...")
	if gsm.k > ucs.k || gsm.k == ucs.k && gsm.letters > ucs.letters {
		return gsm.text
	}
	return ucs.text
}

func allShadow(alerts []Alert) bool {
	for _, a := range alerts {
		if !a.Shadow {
			return false
		}
	}
	return true
}

// lateText is a short duration: "45s", "12m", "2h5m", "3d4h".
func lateText(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(max(1, int(d/time.Second))) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		s := strconv.Itoa(int(d/time.Hour)) + "h"
		if m := int(d % time.Hour / time.Minute); m > 0 {
			s += strconv.Itoa(m) + "m"
		}
		return s
	}
	s := strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	if h := int(d % (24 * time.Hour) / time.Hour); h > 0 {
		s += strconv.Itoa(h) + "h"
	}
	return s
}

// entry is one alert ready to be laid out.
type entry struct {
	id       string
	team     []rune
	teamText string // string(team), made once: render runs many times
	summary  []rune
	marks    []string // "x3", "4m late"
	shadow   bool
}

// composer lays out one message for n alerts.
type composer struct {
	n         int
	allShadow bool
	held      string // "held 30s, rate limit", or ""
}

// frame is what step 4 of Compose's rule gives up, in order.
type frame struct {
	marks   bool // show "(x3, 4m late)"
	hint    int  // 0 full, 1 shorter, 2 shortest
	teamCap int  // -1: whole teams
}

// plan is one candidate layout.
type plan struct {
	frame
	k   int // alerts listed
	cap int // summary cap L in runes; 0: no summary
}

// result is the layout search's answer.
type result struct {
	text    string
	k       int // alerts listed
	letters int // letters and digits of the summaries shown
}

// search finds the first layout that fits by the rule in Compose's doc.
func (c composer) search(es []entry, ellipsis string) result {
	frames := []frame{{true, 0, -1}, {false, 0, -1}, {false, 1, -1}, {false, 2, -1}}
	for _, f := range frames {
		for k := min(c.n, len(es)); k >= 1; k-- {
			longest := 0
			for _, e := range es[:k] {
				longest = max(longest, len(e.summary))
			}
			lo := 0
			if k > 1 {
				lo = min(minBundleSummary, longest)
				// A longer cap never makes the message shorter, so if the
				// floor doesn't fit, no cap for this k does.
				if !fits(c.render(es, plan{f, k, lo}, ellipsis)) {
					continue
				}
			}
			for l := longest; l >= lo; l-- {
				p := plan{f, k, l}
				if s := c.render(es, p, ellipsis); fits(s) {
					return c.result(es, p, s, ellipsis)
				}
			}
		}
	}
	// Last resort: one alert, no summary, the shortest hint, and its team
	// cut until it fits. Without team and summary the text is GSM-7 and at
	// most about 80 septets, so this always ends.
	longest := 0
	for _, e := range es {
		longest = max(longest, len(e.team))
	}
	for t := longest; ; t-- {
		p := plan{frame{false, 2, t}, 1, 0}
		if s := c.render(es, p, ellipsis); fits(s) || t <= 0 {
			return c.result(es, p, s, ellipsis)
		}
	}
}

func (c composer) result(es []entry, p plan, s, ellipsis string) result {
	r := result{text: s, k: p.k}
	for _, e := range es[:p.k] {
		for _, ch := range cut(e.summary, p.cap, ellipsis) {
			if unicode.IsLetter(ch) || unicode.IsDigit(ch) {
				r.letters++
			}
		}
	}
	return r
}

// render lays out plan p.
func (c composer) render(es []entry, p plan, ellipsis string) string {
	var b strings.Builder
	if c.allShadow {
		b.WriteString("[shadow] ")
	}
	if c.n == 1 {
		c.item(&b, es[0], p, ellipsis, c.held)
		if !endsSentence(b.String()) {
			b.WriteByte('.')
		}
		b.WriteByte(' ')
		id := es[0].id
		switch p.hint {
		case 0:
			b.WriteString("Reply " + id + "a ack, " + id + "r resolve, ? help")
		case 1:
			b.WriteString("Reply " + id + "a ack, ? help")
		default:
			b.WriteString("Reply " + id + "a ack")
		}
		return b.String()
	}
	b.WriteString(strconv.Itoa(c.n) + " alerts")
	if p.marks && c.held != "" {
		b.WriteString(" (" + c.held + ")")
	}
	b.WriteString(": ")
	for i, e := range es[:p.k] {
		if i > 0 {
			b.WriteString("; ")
		}
		c.item(&b, e, p, ellipsis, "")
		if b.Len() > tooLong {
			return b.String() // can't fit; spare building the rest
		}
	}
	if more := c.n - p.k; more > 0 {
		b.WriteString("; +" + strconv.Itoa(more) + " more")
	}
	if !endsSentence(b.String()) {
		b.WriteByte('.')
	}
	switch p.hint {
	case 0:
		b.WriteString(" Reply 'ack all' or " + es[0].id + "a. ? help")
	case 1:
		b.WriteString(" Reply 'ack all' or " + es[0].id + "a")
	default:
		b.WriteString(" Reply 'ack all'")
	}
	return b.String()
}

// item writes "#42 payments (x3, 4m late): summary", with held (the
// message's hold) among the marks when set.
func (c composer) item(b *strings.Builder, e entry, p plan, ellipsis, held string) {
	b.WriteString("#" + e.id)
	team := e.teamText
	if p.teamCap >= 0 {
		team = string(cut(e.team, p.teamCap, ellipsis))
	}
	if team != "" {
		b.WriteByte(' ')
		b.WriteString(team)
	}
	var marks []string
	if e.shadow && !c.allShadow {
		marks = append(marks, "shadow")
	}
	if p.marks {
		marks = append(marks, e.marks...)
		if held != "" {
			marks = append(marks, held)
		}
	}
	if len(marks) > 0 {
		b.WriteString(" (" + strings.Join(marks, ", ") + ")")
	}
	if s := trimEnd(cut(e.summary, p.cap, ellipsis)); len(s) > 0 {
		b.WriteString(": ")
		b.WriteString(string(s))
	}
}

// cut shortens rs to at most n runes, marking a cut with ellipsis (counted
// within n). If n leaves no room for even one rune and the marker, nothing
// is shown: a bare "..." says nothing.
func cut(rs []rune, n int, ellipsis string) []rune {
	if len(rs) <= n {
		return rs
	}
	m := len([]rune(ellipsis))
	if n <= m {
		return nil
	}
	head := trimEnd(rs[:n-m])
	if len(head) == 0 {
		return nil
	}
	out := make([]rune, 0, n)
	return append(append(out, head...), []rune(ellipsis)...)
}

// trimEnd drops trailing spaces and the punctuation that would sit badly
// before the "." or "..." that follows ("lag 4s;." or "02:58,...").
func trimEnd(rs []rune) []rune {
	for len(rs) > 0 && strings.ContainsRune(" ,;:", rs[len(rs)-1]) {
		rs = rs[:len(rs)-1]
	}
	return rs
}

// endsSentence reports whether s already ends like a sentence, so no "."
// is added after it.
func endsSentence(s string) bool {
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") ||
		strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…")
}
