package message

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The answers below are what a person is told after a reply (Answer, one
// SMS segment) or a keypress (Spoken, one short sentence or two). Names and
// statuses that come from elsewhere are cut to fit.

// helpText is Help's answer, 143 septets: short enough to follow "Not
// understood. " in one segment.
const helpText = "pagerd: a=ack last page, 42a=ack #42, 42r=resolve, 42e=escalate, 42u=urgent, 42 page TEAM, 42 major, ack all. Don't send STOP: it blocks pages."

// Help is the short help text sent for "help" or "?" and after a reply that
// wasn't understood. One segment.
func Help() string { return helpText }

// Outcome is what one reply or keypress did, alert by alert. A bare "ack"
// covers every alert of the last message, so one answer may speak for a
// hundred alerts; Answer and Spoken summarise it.
type Outcome struct {
	Verb Verb
	// Done: acknowledged, resolved, escalated or raised to high urgency.
	Done []int64
	// Noted: a learning shadow's ack, noted; paging goes on.
	Noted []int64
	// Already: answered before (by someone, at some time).
	Already []Closed
	// Missing: no such alert was paged to this person.
	Missing []int64
	// NoFurther: an escalation with no step left, or a raise of an alert
	// already high urgency.
	NoFurther []int64
	// Failed: not recorded (the store was unavailable): try again.
	Failed []int64

	// Paging names whom the alerts are paging now: after an escalation the
	// step's people; for a shadow's ack the on-call person; for an
	// escalation with no step left, those the last step paged.
	Paging []string
	// LastStep: the escalation reached the policy's last step, so nobody
	// is paged after the people in Paging.
	LastStep bool
	// Zone shows times (in Already) in the person's zone; nil is UTC.
	Zone *time.Location
}

// Closed is an alert that was answered before.
type Closed struct {
	ID     int64
	Status string // "acknowledged" or "resolved"
	By     string
	At     time.Time
}

func (o Outcome) total() int {
	return len(o.Done) + len(o.Noted) + len(o.Already) + len(o.Missing) + len(o.NoFurther) + len(o.Failed)
}

// Answer is the SMS answer to o: the single-alert sentences below for one
// alert, else a summary ("Acknowledged 99 alerts, #23-#121. Paging
// stopped."). Always one segment.
func Answer(o Outcome) string {
	if o.total() == 0 {
		switch o.Verb {
		case VerbResolve:
			return NothingToResolve()
		case VerbEscalate:
			return NothingToEscalate()
		}
		return NothingToAck()
	}
	if o.total() == 1 {
		return answerOne(o)
	}
	return fitParts(smsParts(o))
}

func answerOne(o Outcome) string {
	switch {
	case len(o.Done) == 1:
		id := o.Done[0]
		switch o.Verb {
		case VerbResolve:
			return Resolved(id)
		case VerbEscalate:
			return escalatedText(id, o.Paging, o.LastStep)
		case VerbUrgent:
			return Raised(id)
		}
		return Acked(id)
	case len(o.Noted) == 1:
		return ShadowNoted(o.Noted[0], first(o.Paging))
	case len(o.Already) == 1:
		c := o.Already[0]
		return AlreadyDone(c.ID, c.Status, c.By, c.At, o.Zone)
	case len(o.Missing) == 1:
		return NoSuchAlert(o.Missing[0])
	case len(o.NoFurther) == 1:
		if o.Verb == VerbUrgent {
			return "#" + strconv.FormatInt(o.NoFurther[0], 10) + " is already high urgency."
		}
		return NoFurtherStep(o.NoFurther[0], o.Paging)
	}
	return TryAgain()
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// Acked answers an ack of one alert.
func Acked(id int64) string {
	n := strconv.FormatInt(id, 10)
	return "#" + n + " acknowledged, paging stopped. Reply " + n + "r when it's resolved."
}

// Resolved answers a resolve of one alert.
func Resolved(id int64) string {
	return "#" + strconv.FormatInt(id, 10) + " resolved. Thanks."
}

// Raised answers "42u": the alert is high urgency now.
func Raised(id int64) string {
	return "#" + strconv.FormatInt(id, 10) + " is high urgency now: it pages day and night."
}

// escalatedText: "#42 escalated: paging bob, frank now." and, when that is
// the policy's last step, that nobody is paged after them.
func escalatedText(id int64, to []string, last bool) string {
	n := strconv.FormatInt(id, 10)
	tail := " now."
	if last {
		tail = " now; nobody further after that."
	}
	return fitName(func(name string) string {
		if name == "" {
			if last {
				return "#" + n + " escalated to the last step: nobody further after that."
			}
			return "#" + n + " escalated: paging the next step now."
		}
		return "#" + n + " escalated: paging " + name + tail
	}, strings.Join(to, ", "))
}

// NoFurtherStep answers "esc 42" when the policy has no step left: nobody
// further is paged, and stillPaged (the last step's people) still are.
func NoFurtherStep(id int64, stillPaged []string) string {
	n := strconv.FormatInt(id, 10)
	verb := " still is."
	if len(stillPaged) > 1 {
		verb = " still are."
	}
	return fitName(func(name string) string {
		s := "#" + n + ": that was the last step, so nobody further will be paged"
		if name == "" {
			return s + "; the alert stays open."
		}
		return s + "; " + name + verb
	}, strings.Join(stillPaged, ", "))
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

// NothingToEscalate answers a bare "esc" when nothing is open.
func NothingToEscalate() string {
	return "Nothing to escalate: no open page to you."
}

// EscalateOne answers a bare "esc" after a message about n alerts: a
// storm must not wake the next step n times over by accident.
func EscalateOne(n int, oldest int64) string {
	id := strconv.FormatInt(oldest, 10)
	return "Your last page was about " + strconv.Itoa(n) + " alerts: escalate one at a time, e.g. esc " + id + "."
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

// part is one sentence of a summary: head, then a list of alert ids
// (shown as ranges, as many as fit), then tail.
type part struct {
	head func(n int) string // given how many alerts
	ids  []int64
	tail string
	name string // a name the tail mentions, cut to fit
}

// smsParts lays out a summary, most important first: what was done, what
// was not recorded, then the rest.
func smsParts(o Outcome) []part {
	var ps []part
	if len(o.Done) > 0 {
		verb, tail := "Acknowledged", "Paging stopped."
		switch o.Verb {
		case VerbResolve:
			verb, tail = "Resolved", "Thanks."
		case VerbEscalate:
			verb, tail = "Escalated", ""
		case VerbUrgent:
			verb, tail = "Raised to high urgency", ""
		}
		ps = append(ps, part{head: counted(verb), ids: o.Done, tail: tail})
	}
	if len(o.Failed) > 0 {
		ps = append(ps, part{head: counted("Not recorded"), ids: o.Failed, tail: "Try again in a minute."})
	}
	if len(o.Noted) > 0 {
		ps = append(ps, part{head: counted("Noted, you're shadowing"), ids: o.Noted, tail: "still paging {}.", name: first(o.Paging)})
	}
	if len(o.NoFurther) > 0 {
		h := "No further step"
		if o.Verb == VerbUrgent {
			h = "Already high urgency"
		}
		ps = append(ps, part{head: counted(h), ids: o.NoFurther})
	}
	if len(o.Already) > 0 {
		ids := make([]int64, len(o.Already))
		for i, c := range o.Already {
			ids[i] = c.ID
		}
		ps = append(ps, part{head: counted("Already answered"), ids: ids})
	}
	if len(o.Missing) > 0 {
		ps = append(ps, part{head: counted("Not paged to you"), ids: o.Missing})
	}
	return ps
}

// counted makes a head: "Acknowledged 99 alerts" or "Acknowledged".
func counted(verb string) func(int) string {
	return func(n int) string {
		if n == 1 {
			return verb
		}
		return verb + " " + strconv.Itoa(n) + " alerts"
	}
}

// fitParts renders parts in one segment: each part's id list shows as
// many ranges as fit (the same cap for all), then none, then the least
// important parts go.
func fitParts(ps []part) string {
	most := 0
	for _, p := range ps {
		most = max(most, len(ranges(p.ids)))
	}
	for len(ps) > 0 {
		for k := most; k >= 0; k-- {
			if s := renderParts(ps, k, -1); fits(s) {
				return s
			}
		}
		// Names last: cut them to fit before giving up a part.
		for n := maxRunes; n >= 0; n -= 4 {
			if s := renderParts(ps, 0, n); fits(s) {
				return s
			}
		}
		ps = ps[:len(ps)-1]
	}
	return TryAgain() // unreachable: one part with no list always fits
}

func renderParts(ps []part, k, nameCap int) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.head(len(p.ids)))
		if k > 0 || len(p.ids) == 1 {
			if len(p.ids) == 1 {
				b.WriteString(" #" + strconv.FormatInt(p.ids[0], 10))
			} else {
				b.WriteString(", " + rangeList(p.ids, k, "#", "-", ", "))
			}
		}
		b.WriteByte('.')
		if p.tail != "" {
			tail := p.tail
			if p.name != "" || strings.Contains(tail, "{}") {
				name := p.name
				if name == "" {
					name = "the on-call person"
				}
				rs := transliterate(clean(name, maxRunes))
				if nameCap >= 0 {
					rs = cut(rs, nameCap, "...")
					if len(rs) == 0 {
						rs = []rune("the on-call person")
					}
				}
				tail = strings.ReplaceAll(tail, "{}", string(rs))
				// "Noted, you're shadowing 5 alerts, #1-#5. still paging"
				// reads better joined by a comma.
				s := b.String()
				b.Reset()
				b.WriteString(strings.TrimSuffix(s, ".") + ", " + tail)
				continue
			}
			b.WriteByte(' ')
			b.WriteString(tail)
		}
	}
	return b.String()
}

// idRange is a run of consecutive ids.
type idRange struct{ lo, hi int64 }

// ranges sorts and merges ids into runs: 23, 24, 25, 30 -> 23-25, 30.
func ranges(ids []int64) []idRange {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	var out []idRange
	for _, id := range s {
		if n := len(out); n > 0 && out[n-1].hi+1 == id {
			out[n-1].hi = id
			continue
		}
		out = append(out, idRange{id, id})
	}
	return out
}

// rangeList writes at most k runs of ids ("#23-#121, #130"), then
// "+N more" for the ids left out.
func rangeList(ids []int64, k int, hash, dash, sep string) string {
	rs := ranges(ids)
	var b strings.Builder
	shown := int64(0)
	for i, r := range rs {
		if i >= k {
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(hash + strconv.FormatInt(r.lo, 10))
		if r.hi > r.lo {
			b.WriteString(dash + hash + strconv.FormatInt(r.hi, 10))
		}
		shown += r.hi - r.lo + 1
	}
	total := int64(len(slices.Compact(slices.Sorted(slices.Values(ids)))))
	if more := total - shown; more > 0 {
		if shown > 0 {
			b.WriteString(sep)
		}
		b.WriteString("+" + strconv.FormatInt(more, 10) + " more")
	}
	return b.String()
}

// MaxSpokenAnswer bounds Spoken, in runes: about fifteen seconds.
const MaxSpokenAnswer = 300

// Spoken is o said on a call after a keypress: the same facts as Answer,
// shorter, with ids said as numbers and no "reply" hints (the person may
// have no SMS number). At most MaxSpokenAnswer runes.
func Spoken(o Outcome) string {
	var parts []string
	say := func(verb string, ids []int64, tail string) {
		if len(ids) == 0 {
			return
		}
		s := verb + " " + spokenIDs(ids) + "."
		if tail != "" {
			s += " " + tail
		}
		parts = append(parts, s)
	}
	who := func(names []string) string {
		s := speakable(strings.Join(names, ", "), false)
		if s == "" {
			return "the on-call person"
		}
		return s
	}
	switch o.Verb {
	case VerbResolve:
		say("Resolved", o.Done, "Thanks.")
	case VerbEscalate:
		tail := ""
		if len(o.Paging) > 0 {
			tail = "Paging " + who(o.Paging) + " now."
			if o.LastStep {
				tail += " That is the last step: nobody further after that."
			}
		}
		say("Escalated", o.Done, tail)
	case VerbUrgent:
		say("Raised to high urgency:", o.Done, "")
	default:
		say("Acknowledged", o.Done, "Paging stopped.")
	}
	if len(o.Failed) > 0 {
		say("Could not record", o.Failed, "Nothing changed for them. Please try again.")
	}
	if len(o.Noted) > 0 {
		say("Noted, you are shadowing", o.Noted, "Still paging "+who(o.Paging)+".")
	}
	if len(o.NoFurther) > 0 {
		if o.Verb == VerbUrgent {
			say("Already high urgency:", o.NoFurther, "")
		} else {
			tail := "Nobody further will be paged."
			if len(o.Paging) > 0 {
				verb := " still is."
				if len(o.Paging) > 1 {
					verb = " still are."
				}
				tail = "That was the last step: nobody further will be paged; " + who(o.Paging) + verb
			}
			say("No further step for", o.NoFurther, tail)
		}
	}
	if len(o.Already) > 0 {
		ids := make([]int64, len(o.Already))
		for i, c := range o.Already {
			ids[i] = c.ID
		}
		if len(o.Already) == 1 {
			c := o.Already[0]
			s := "Alert " + digits(c.ID) + " was already " + orWord(c.Status, "closed")
			if by := speakable(c.By, false); by != "" {
				s += " by " + by
			}
			parts = append(parts, s+".")
		} else {
			say("Already answered:", ids, "")
		}
	}
	if len(o.Missing) > 0 {
		say("Not paged to you:", o.Missing, "")
	}
	if len(parts) == 0 {
		return "There is nothing open to answer."
	}
	s := []rune(strings.Join(parts, " "))
	if len(s) > MaxSpokenAnswer {
		s = append(wordCut(s, MaxSpokenAnswer-1), '.')
	}
	return string(s)
}

func orWord(s, def string) string {
	if s = speakable(s, true); s == "" {
		return def
	}
	return s
}

// spokenIDs says a list of alert ids: "alert 4 2", or "99 alerts, 23 to
// 121", or "5 alerts, 3, 7 and 9 to 11", with at most three runs.
func spokenIDs(ids []int64) string {
	rs := ranges(ids)
	if len(rs) == 1 && rs[0].lo == rs[0].hi {
		return "alert " + digits(rs[0].lo)
	}
	n := 0
	for _, r := range rs {
		n += int(r.hi - r.lo + 1)
	}
	var items []string
	for i, r := range rs {
		if i == 3 {
			items = append(items, strconv.Itoa(n-counted3(rs))+" more")
			break
		}
		s := strconv.FormatInt(r.lo, 10)
		if r.hi > r.lo {
			s += " to " + strconv.FormatInt(r.hi, 10)
		}
		items = append(items, s)
	}
	list := items[0]
	if len(items) > 1 {
		list = strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
	}
	return strconv.Itoa(n) + " alerts, " + list
}

// counted3 is how many ids the first three runs hold.
func counted3(rs []idRange) int {
	n := 0
	for _, r := range rs[:min(3, len(rs))] {
		n += int(r.hi - r.lo + 1)
	}
	return n
}

// HelperPaged answers "42 page platform" and "42 major": whose on-call
// (team) is paged about alert parent, as alert helper. major says the
// alert is now a major incident and team holds its incident commander.
func HelperPaged(parent int64, team string, helper int64, major bool) string {
	p, h := strconv.FormatInt(parent, 10), strconv.FormatInt(helper, 10)
	if major {
		return fitName(func(n string) string {
			return "#" + p + " is a major incident: incident commander (" + n + ") paged as #" + h + "."
		}, team)
	}
	return fitName(func(n string) string {
		return "Paging " + n + "'s on-call about #" + p + " (their part is #" + h + ")."
	}, team)
}

// HelperAlready answers a page or major that was already done: team's
// on-call are already on alert parent as helper.
func HelperAlready(parent int64, team string, helper int64, major bool) string {
	p, h := strconv.FormatInt(parent, 10), strconv.FormatInt(helper, 10)
	if major {
		return "#" + p + " is already a major incident; the incident commander was paged."
	}
	return fitName(func(n string) string { return n + " is already paged about #" + p + " (#" + h + ")." }, team)
}

// HelperRefused answers a page or major that could not be done, with the
// reason (cut to fit).
func HelperRefused(parent int64, why string) string {
	return fitName(func(n string) string { return "#" + strconv.FormatInt(parent, 10) + ": " + n + "." }, why)
}
