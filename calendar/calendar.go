// Package calendar renders on-call shifts as an iCalendar (RFC 5545) feed,
// for the per-person and per-team .ics subscriptions.
//
// The package is pure: it does no I/O beyond the writer it is given and never
// reads the clock; the caller passes the DTSTAMP (Feed.Stamp) and picks the
// shifts (see Window for the feed's span). Shifts go in with their real
// bounds, never cut to the window: a cut start would move, and with it the
// UID, every time the feed is fetched.
//
// SUMMARY says what a shift is: "On call: payments primary (alice)",
// "On call (override): ...", "Shadowing: ..." or "Shadowing (reverse): ...".
//
// # Times and zones
//
// Events are written as local times with a TZID of the feed's zone
// (DTSTART;TZID=Europe/London:20261024T090000), and the calendar carries a
// VTIMEZONE for that zone generated from Go's zone data: one STANDARD or
// DAYLIGHT component per offset change from the zone period containing the
// earliest shift to the one containing the latest end, each with an explicit
// onset and no RRULE, so it is exact for the span it covers. A UTC (or nil)
// zone writes UTC times with a trailing Z and no VTIMEZONE. An instant whose
// wall time occurs twice (inside a fall-back hour) is written in UTC: RFC 5545
// reads such a local time as the first occurrence, but parsers differ (Go's
// time.ParseInLocation, used by go-ical, may pick the second).
//
// # UIDs
//
// A calendar app matches events by UID, so the UID must survive rota edits.
// It is
//
//	hex(sha256(team, role, person, source, local start date, ordinal))[:32] + "@pagerd"
//
// where the local start date is the shift's start date in the feed's zone and
// ordinal counts, from 0 in start order, the shifts with the same team, role,
// person, source and start date (so one person holding a role twice in a day,
// e.g. via two overrides, gets two events). Editing a shift's times keeps its
// UID (the app moves the event) unless the start moves to another local date;
// then the old event leaves the feed and a new one appears. A different
// person, role, source or day is a different event.
package calendar

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pagerd/pagerd/rotation"
)

// Feed describes one calendar.
type Feed struct {
	Name     string         // X-WR-CALNAME, e.g. "pagerd: alice" or "pagerd: payments"
	Location *time.Location // the person's or team's zone; nil means UTC
	Stamp    time.Time      // DTSTAMP for every event (the caller passes now)
}

// Past and Future are the span of a feed around now: the last 30 and the
// next 90 days.
const (
	Past   = 30 * 24 * time.Hour
	Future = 90 * 24 * time.Hour
)

// Window returns the span [from, until) a feed built at now covers: it
// shows every shift that overlaps it, whole (rotation.Schedule.WholeShifts),
// so an event's bounds and UID do not depend on when the feed was built.
func Window(now time.Time) (from, until time.Time) {
	return now.Add(-Past), now.Add(Future)
}

const prodID = "-//pagerd//pagerd calendar//EN"

// Write writes the feed with one VEVENT per shift. It writes nothing if it
// returns an error (a zero Stamp or a shift that does not end after it starts).
func Write(w io.Writer, f Feed, shifts []rotation.Shift) error {
	if f.Stamp.IsZero() {
		return errors.New("calendar: zero Stamp")
	}
	for i, s := range shifts {
		if !s.End.After(s.Start) {
			return fmt.Errorf("calendar: shift %d (%s %s %s) does not end after it starts", i, s.Team, s.Role, s.Person)
		}
	}
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	utc := loc == time.UTC || loc.String() == "UTC"

	// Order events by start for a stable feed; ordinals follow this order.
	idx := make([]int, len(shifts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		sa, sb := shifts[idx[a]], shifts[idx[b]]
		if !sa.Start.Equal(sb.Start) {
			return sa.Start.Before(sb.Start)
		}
		if !sa.End.Equal(sb.End) {
			return sa.End.Before(sb.End)
		}
		return sa.Role+"\x00"+sa.Person < sb.Role+"\x00"+sb.Person
	})

	var b lineWriter
	b.line("BEGIN:VCALENDAR")
	b.line("VERSION:2.0")
	b.line("PRODID:" + prodID)
	b.line("CALSCALE:GREGORIAN")
	b.line("METHOD:PUBLISH")
	if f.Name != "" {
		b.line("X-WR-CALNAME:" + escape(f.Name))
	}
	b.line("X-WR-TIMEZONE:" + escape(loc.String()))
	if !utc && len(shifts) > 0 {
		first, last := shifts[idx[0]].Start, shifts[0].End
		for _, s := range shifts {
			if s.End.After(last) {
				last = s.End
			}
		}
		writeTimezone(&b, loc, first, last)
	}

	seen := map[string]int{}
	stamp := f.Stamp.UTC().Format("20060102T150405Z")
	for _, i := range idx {
		s := shifts[i]
		key := strings.Join([]string{s.Team, s.Role, s.Person, string(s.Source), s.Start.In(loc).Format("2006-01-02")}, "\x00")
		n := seen[key]
		seen[key] = n + 1
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", key, n)))

		b.line("BEGIN:VEVENT")
		b.line("UID:" + hex.EncodeToString(sum[:16]) + "@pagerd")
		b.line("DTSTAMP:" + stamp)
		b.line("DTSTART" + dateTime(s.Start, loc, utc))
		b.line("DTEND" + dateTime(s.End, loc, utc))
		b.line("SUMMARY:" + escape(summary(s)))
		b.line("DESCRIPTION:" + escape(description(s)))
		b.line("TRANSP:TRANSPARENT")
		b.line("END:VEVENT")
	}
	b.line("END:VCALENDAR")
	_, err := w.Write(b.Bytes())
	return err
}

func summary(s rotation.Shift) string {
	what := strings.TrimSpace(s.Team + " " + s.Role)
	switch {
	case s.Source == rotation.SourceShadow && s.Reverse:
		return fmt.Sprintf("Shadowing (reverse): %s (%s)", what, s.Person)
	case s.Source == rotation.SourceShadow:
		return fmt.Sprintf("Shadowing: %s (%s)", what, s.Person)
	case s.Source == rotation.SourceOverride:
		// Said in the title, where a calendar app shows it: a swap or
		// cover is what people look for.
		return fmt.Sprintf("On call (override): %s (%s)", what, s.Person)
	}
	return fmt.Sprintf("On call: %s (%s)", what, s.Person)
}

func description(s rotation.Shift) string {
	src := string(s.Source)
	if src == "" {
		src = string(rotation.SourceRotation)
	}
	d := "Source: " + src
	if s.Source == rotation.SourceShadow && s.Reverse {
		d += " (reverse: this shadow's ack stops escalation)"
	}
	d += "\nTeam: " + s.Team + "\nRole: " + s.Role + "\nPerson: " + s.Person
	if s.Note != "" {
		d += "\nNote: " + s.Note
	}
	return d
}

// dateTime formats a DTSTART/DTEND value, including the ":" and any TZID
// parameter.
func dateTime(t time.Time, loc *time.Location, utc bool) string {
	if utc || ambiguous(t.In(loc)) {
		return ":" + t.UTC().Format("20060102T150405Z")
	}
	return ";TZID=" + paramValue(loc.String()) + ":" + t.In(loc).Format("20060102T150405")
}

// ambiguous reports whether t's wall time occurs twice in its zone (inside a
// fall-back repeat, before or after the transition).
func ambiguous(t time.Time) bool {
	start, end := t.ZoneBounds()
	_, cur := t.Zone()
	if !start.IsZero() {
		_, prev := start.Add(-time.Nanosecond).Zone()
		if prev > cur && t.Before(start.Add(time.Duration(prev-cur)*time.Second)) {
			return true
		}
	}
	if !end.IsZero() {
		_, next := end.Zone()
		if cur > next && !t.Before(end.Add(-time.Duration(cur-next)*time.Second)) {
			return true
		}
	}
	return false
}

// writeTimezone writes a VTIMEZONE for loc covering [from, until]: one
// component per zone period, from the period containing from to the one
// containing until.
func writeTimezone(b *lineWriter, loc *time.Location, from, until time.Time) {
	b.line("BEGIN:VTIMEZONE")
	b.line("TZID:" + escape(loc.String()))
	t := from.In(loc)
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		start = t // no earlier transition: the period runs from before the feed
	}
	for i := 0; i < 10000; i++ {
		start = start.In(loc)
		name, off := start.Zone()
		_, prev := start.Add(-time.Nanosecond).Zone()
		kind := "STANDARD"
		if start.IsDST() {
			kind = "DAYLIGHT"
		}
		b.line("BEGIN:" + kind)
		// The onset is written in the local time in force before it.
		b.line("DTSTART:" + start.In(time.FixedZone("", prev)).Format("20060102T150405"))
		b.line("TZOFFSETFROM:" + offset(prev))
		b.line("TZOFFSETTO:" + offset(off))
		if name != "" && !strings.HasPrefix(name, "+") && !strings.HasPrefix(name, "-") {
			b.line("TZNAME:" + escape(name))
		}
		b.line("END:" + kind)
		_, end := start.ZoneBounds()
		if end.IsZero() || end.After(until) {
			break
		}
		start = end
	}
	b.line("END:VTIMEZONE")
}

func offset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	s := fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// escape escapes a TEXT value (RFC 5545 3.3.11).
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

// paramValue quotes a parameter value if it holds a character that needs it.
func paramValue(s string) string {
	if strings.ContainsAny(s, ";:,") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return s
}

// lineWriter accumulates content lines folded at 75 octets with CRLF endings.
type lineWriter struct{ bytes.Buffer }

func (b *lineWriter) line(s string) {
	const limit = 75
	n := 0 // octets on the current physical line
	for i := 0; i < len(s); {
		// Take one whole UTF-8 sequence so folding never splits a character.
		j := i + 1
		for j < len(s) && s[j]&0xC0 == 0x80 {
			j++
		}
		if n+(j-i) > limit {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteString(s[i:j])
		n += j - i
		i = j
	}
	b.WriteString("\r\n")
}
