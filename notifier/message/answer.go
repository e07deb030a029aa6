package message

import (
	"strconv"
	"strings"
	"time"
)

// The answers below are what the SMS webhook replies. Each is one segment:
// names and statuses that come from elsewhere are cut to fit.

// helpText is Help's answer, 133 septets: short enough to follow "Not
// understood. " in one segment.
const helpText = "pagerd: a = ack latest, 42a = ack #42, 42r = resolve, 42e = escalate now, 'ack all', ? = help. Don't reply STOP: it blocks all pages."

// Help is the short help text sent for "help" or "?" and after a reply that
// wasn't understood. One segment.
func Help() string { return helpText }

// Acked answers an ack of one alert.
func Acked(id int64) string {
	n := strconv.FormatInt(id, 10)
	return "#" + n + " acknowledged, paging stopped. Reply " + n + "r when it's resolved."
}

// Resolved answers a resolve of one alert.
func Resolved(id int64) string {
	return "#" + strconv.FormatInt(id, 10) + " resolved. Thanks."
}

// Escalated answers "esc 42": to names who is paged now, "" if unknown.
func Escalated(id int64, to string) string {
	n := strconv.FormatInt(id, 10)
	if to == "" {
		return "#" + n + " escalated: paging the next step now."
	}
	return fitName(func(name string) string {
		if name == "" {
			return "#" + n + " escalated: paging the next step now."
		}
		return "#" + n + " escalated: paging " + name + " now."
	}, to)
}

// AckedAll answers "ack all" with the ids acknowledged; NothingToAck if none.
func AckedAll(ids []int64) string {
	if len(ids) == 0 {
		return NothingToAck()
	}
	return idList("Acknowledged ", ids, ". Paging stopped.")
}

// ResolvedAll answers "resolve all" with the ids resolved; NothingToResolve
// if none.
func ResolvedAll(ids []int64) string {
	if len(ids) == 0 {
		return NothingToResolve()
	}
	return idList("Resolved ", ids, ". Thanks.")
}

// idList writes "Acknowledged 3: #42, #43, #44. Paging stopped.", listing
// as many ids as fit and "+N more" for the rest.
func idList(head string, ids []int64, tail string) string {
	head += strconv.Itoa(len(ids)) + ": "
	list := func(k int) string {
		var b strings.Builder
		b.WriteString(head)
		for i, id := range ids[:k] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("#" + strconv.FormatInt(id, 10))
		}
		if more := len(ids) - k; more > 0 {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString("+" + strconv.Itoa(more) + " more")
		}
		b.WriteString(tail)
		return b.String()
	}
	if s := list(len(ids)); fits(s) {
		return s
	}
	// Each id listed makes the text longer, so grow until it doesn't fit.
	best := list(0)
	for k := 1; k < len(ids); k++ {
		s := list(k)
		if !fits(s) {
			break
		}
		best = s
	}
	return best
}

// AlreadyDone answers a reply about an alert someone already closed:
// "#42 was already resolved by bob at 03:12." The time is a 24-hour clock
// in loc (the person's zone; UTC if nil); a zero at leaves it out. An empty
// by leaves out "by"; an empty status says "closed". status is one of
// pagerd's own words ("acknowledged", "resolved"), so it is only tidied.
func AlreadyDone(id int64, status, by string, at time.Time, loc *time.Location) string {
	n := strconv.FormatInt(id, 10)
	st := string(gsmOnly(transliterate(clean(status, 20))))
	if st == "" {
		st = "closed"
	}
	when := ""
	if !at.IsZero() {
		if loc == nil {
			loc = time.UTC
		}
		when = " at " + at.In(loc).Format("15:04")
	}
	return fitName(func(name string) string {
		s := "#" + n + " was already " + st
		if name != "" {
			s += " by " + name
		}
		return s + when + "."
	}, by)
}

// ShadowNoted answers a shadow's ack: it is noted, but the on-call person
// (onCall, "" if unknown) is still being paged.
func ShadowNoted(id int64, onCall string) string {
	n := strconv.FormatInt(id, 10)
	return fitName(func(name string) string {
		if name == "" {
			name = "the on-call person"
		}
		return "Noted, you're shadowing: #" + n + " is still paging " + name + "."
	}, onCall)
}

// NoSuchAlert answers a reply naming an alert that wasn't paged to this
// person. It says no more than that: whether #id exists elsewhere is none
// of the sender's business.
func NoSuchAlert(id int64) string {
	return "No alert #" + strconv.FormatInt(id, 10) + " was paged to you. Reply ? for help."
}

// NothingToAck answers "ack" or "ack all" when nothing is open for this
// person.
func NothingToAck() string {
	return "Nothing to acknowledge: no open page to you."
}

// NothingToResolve answers "resolve all" when nothing is open for this
// person.
func NothingToResolve() string {
	return "Nothing to resolve: no open page to you."
}

// TryAgain answers when the reply couldn't be recorded (no leader, store
// unavailable): the person must know the page is not acknowledged.
func TryAgain() string {
	return "pagerd couldn't record that just now, so nothing changed. Please try again in a minute."
}

// fitName returns format(name) with name cleaned, transliterated and cut
// (ending "...") until the answer is one segment; at worst format("").
func fitName(format func(name string) string, name string) string {
	rs := transliterate(clean(name, maxRunes))
	for n := len(rs); ; n-- {
		if s := format(string(cut(rs, n, "..."))); fits(s) || n <= 0 {
			return s
		}
	}
}
