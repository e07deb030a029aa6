package message

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Menu is the keypad menu of a voice page. It belongs inside the TwiML
// <Gather>, so that a key pressed while it is being said counts.
const Menu = "Press 1 to acknowledge, 2 to resolve, 3 to escalate now, 9 to repeat."

// MaxSpeech caps Speech, in runes: about 25 seconds of speech, long enough
// for any useful summary and short enough that the menu comes before a
// sleepy person hangs up.
const MaxSpeech = 400

// Speech is what a voice page says (for TwiML <Say>): Announce, then Menu.
//
//	pagerd alert 4 2 for team payments. Checkout error rate 12 percent. Press 1 to acknowledge, 2 to resolve, 3 to escalate now, 9 to repeat.
//
// It is at most MaxSpeech runes.
func Speech(a Alert) string {
	return Announce(a) + " " + Menu
}

// Announce is Speech without the menu, for a caller that puts Menu inside
// the <Gather> and the announcement before it. It is at most MaxSpeech -
// len(Menu) - 1 runes.
//
// The alert id is said digit by digit ("4 2"), always: "alert forty-two" is
// fine but "alert one million two hundred thousand and seven" is not, and
// one way for every id is easier to match against the SMS. Team ids are
// said as words ("payments-eu" as "payments eu"). In the summary, % & @ + =
// < > and the like are said in words ("12 percent", "over 2 s"), a '/'
// before a time unit is "per", links are "link", and characters a TTS
// engine reads badly or spells out (emoji, brackets, quotes, '*', '_',
// '|', '#') are dropped. A summary that doesn't fit is cut at a word.
func Announce(a Alert) string { return announce(a, "") }

// AnnounceAll is Announce for a call about n alerts (a bundle, or the call
// that follows an undelivered bundled text), latest being the newest:
//
//	pagerd: you have 12 alerts. The latest: alert 4 2 for team payments. Checkout error rate 12 percent.
//
// A key pressed on such a call answers all n. For n <= 1 it is Announce.
// It is no longer than Announce.
func AnnounceAll(latest Alert, n int) string {
	if n <= 1 {
		return Announce(latest)
	}
	return announce(latest, "pagerd: you have "+strconv.Itoa(n)+" alerts. The latest: ")
}

func announce(a Alert, prefix string) string {
	var head strings.Builder
	if prefix != "" {
		head.WriteString(prefix + "alert ")
	} else {
		head.WriteString("pagerd alert ")
	}
	head.WriteString(digits(a.ID))
	if team := speakable(string(clean(a.Team, maxRunes)), true); team != "" {
		head.WriteString(" for team " + team)
	}
	head.WriteString(".")
	if a.Shadow {
		head.WriteString(" You are shadowing: your key press is noted, the on-call person is still paged.")
	}
	if a.Count > 1 {
		head.WriteString(" Received " + strconv.Itoa(a.Count) + " times.")
	}
	if a.Late > 0 {
		head.WriteString(" This page is " + spokenDuration(a.Late) + " late.")
	}
	budget := MaxSpeech - len([]rune(Menu)) - 1
	h := []rune(head.String())
	if len(h) > budget { // only an absurd team name gets here
		h = []rune(strings.TrimRight(string(wordCut(h, budget-1)), ".?") + ".")
	}
	sum := []rune(speakable(string(clean(a.Summary, 4*MaxSpeech)), false))
	if len(sum) == 0 {
		return string(h)
	}
	room := budget - len(h) - 2 // a space, and a full stop
	if room <= 0 {
		return string(h)
	}
	if len(sum) > room {
		sum = wordCut(sum, room)
	}
	out := string(h) + " " + strings.TrimRight(string(sum), ",;: ")
	if !endsSentence(out) {
		out += "."
	}
	return out
}

// digits says n digit by digit: "4 2".
func digits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		if r == '-' {
			b.WriteString("minus")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// spokenDuration is "45 seconds", "12 minutes", "2 hours 5 minutes".
func spokenDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return unit(max(1, int64(d/time.Second)), "second")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		s := unit(int64(d/time.Hour), "hour")
		if m := int64(d % time.Hour / time.Minute); m > 0 {
			s += " " + unit(m, "minute")
		}
		return s
	}
	s := unit(int64(d/(24*time.Hour)), "day")
	if h := int64(d % (24 * time.Hour) / time.Hour); h > 0 {
		s += " " + unit(h, "hour")
	}
	return s
}

// speakable rewrites one line of text for a TTS engine (see Announce). A
// team keeps only letters and digits, as words.
func speakable(s string, team bool) string {
	var b strings.Builder
	words := strings.Fields(s)
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		lw := strings.ToLower(w)
		if strings.HasPrefix(lw, "http://") || strings.HasPrefix(lw, "https://") || strings.HasPrefix(lw, "www.") {
			b.WriteString("link")
			continue
		}
		rs := []rune(w)
		for j := 0; j < len(rs); j++ {
			r := rs[j]
			next := rune(0)
			if j+1 < len(rs) {
				next = rs[j+1]
			}
			if team && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				b.WriteByte(' ') // a team is said as plain words: "payments eu"
				continue
			}
			switch r {
			case '%':
				b.WriteString(" percent ")
			case '&':
				b.WriteString(" and ")
			case '@':
				b.WriteString(" at ")
			case '+':
				b.WriteString(" plus ")
			case '≥':
				b.WriteString(" at least ")
			case '≤':
				b.WriteString(" at most ")
			case '≠':
				b.WriteString(" is not ")
			case '>', '<', '!', '=':
				switch {
				case r == '>' && next == '=':
					b.WriteString(" at least ")
					j++
				case r == '<' && next == '=':
					b.WriteString(" at most ")
					j++
				case r == '!' && next == '=':
					b.WriteString(" is not ")
					j++
				case r == '=' && next == '=':
					b.WriteString(" equals ")
					j++
				case r == '>':
					b.WriteString(" over ")
				case r == '<':
					b.WriteString(" under ")
				case r == '=':
					b.WriteString(" equals ")
				default: // '!' ends a sentence as well as '.' does
					b.WriteByte('.')
				}
			case '/':
				if perUnit(rs[j+1:]) {
					b.WriteString(" per ")
				} else {
					b.WriteByte(' ')
				}
			case '…':
				b.WriteByte('.')
			case '–', '—', '―':
				b.WriteByte(',')
			case '’', '‘', '\'':
				// Keep apostrophes inside words ("can't"); drop quotes.
				if j > 0 && unicode.IsLetter(rs[j-1]) && unicode.IsLetter(next) {
					b.WriteByte('\'')
				} else {
					b.WriteByte(' ')
				}
			case '-':
				switch {
				case j > 0 && alnum(rs[j-1]) && alnum(next):
					b.WriteByte('-') // eu-west, 5-10
				case j == 0 && unicode.IsDigit(next):
					b.WriteString("minus ")
				default: // a dash between words: a pause
					b.WriteByte(',')
				}
			case '.', ',', ':', ';', '?':
				b.WriteRune(r)
			default:
				switch {
				case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
					b.WriteRune(r)
				default: // emoji, brackets, quotes, * _ | # ~ ^ \ and the rest
					b.WriteByte(' ')
				}
			}
		}
	}
	return tidySpeech(b.String())
}

func alnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// perUnit reports whether rs starts with a time unit word, so that "req/s"
// is said "req per s".
func perUnit(rs []rune) bool {
	n := 0
	for n < len(rs) && unicode.IsLetter(rs[n]) {
		n++
	}
	switch strings.ToLower(string(rs[:n])) {
	case "s", "sec", "second", "m", "min", "minute", "h", "hr", "hour", "d", "day":
		return true
	}
	return false
}

// tidySpeech collapses spaces, removes spaces before punctuation and runs
// of punctuation ("...", " , ."), and trims.
func tidySpeech(s string) string {
	var out []rune
	for _, r := range s {
		isPunct := strings.ContainsRune(".,:;?", r)
		switch {
		case r == ' ':
			if len(out) == 0 || out[len(out)-1] == ' ' {
				continue
			}
		case isPunct:
			for len(out) > 0 && out[len(out)-1] == ' ' {
				out = out[:len(out)-1]
			}
			if len(out) == 0 {
				continue
			}
			if last := out[len(out)-1]; strings.ContainsRune(".,:;?", last) {
				// Keep the stronger stop: a full stop or question mark wins.
				if r == '.' || r == '?' {
					out[len(out)-1] = r
				}
				continue
			}
		}
		out = append(out, r)
	}
	return strings.Trim(string(out), " ,:;-")
}

// wordCut cuts rs to at most n runes, at the last space if there is one in
// the second half, so a word is not chopped into a different word.
func wordCut(rs []rune, n int) []rune {
	if len(rs) <= n {
		return rs
	}
	if n <= 0 {
		return nil
	}
	rs = rs[:n]
	if i := lastSpace(rs); i >= n/2 {
		rs = rs[:i]
	}
	return []rune(strings.TrimRight(string(rs), " ,;:-"))
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == ' ' {
			return i
		}
	}
	return -1
}
