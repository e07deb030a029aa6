package rotation

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teambition/rrule-go"
)

const (
	// firstHandoffWithin is how soon a rule must first fire after its start;
	// a rule that does not is almost surely a mistake (BYMONTHDAY=30 in
	// February) and would otherwise make every lookup scan for centuries.
	firstHandoffWithin = 400 * 24 * time.Hour

	// minChunk is the fewest rule occurrences generated per cache extension,
	// so that lookups moving forward in time rarely take the lock.
	minChunk = 64

	// gregorianCycle is the period, in years, after which the Gregorian
	// calendar (weekdays, leap years, ISO weeks) repeats exactly.
	gregorianCycle = 400
)

// Handoff is a parsed handoff rule: an RFC 5545 RRULE anchored at a start
// instant and evaluated on floating wall-clock time in a location.
//
// The rule runs on wall-clock time: DTSTART is the wall clock of the start in
// the location, each occurrence is a wall-clock time, and each is turned
// into an instant with ResolveWall. So a Monday 09:00 handoff stays at 09:00
// local across DST changes; an occurrence in a DST gap happens that much
// after the gap (a 01:30 handoff on London's spring-forward day happens at
// 02:30 BST), and one in a repeated hour happens the first time round (01:30
// BST on fall-back day). Handoffs are the resolved instants strictly after
// the start, deduplicated and sorted: in a gap two wall times can resolve to
// the same instant, or out of wall-clock order.
//
// Resolved handoffs are cached and the cache grows on demand, so lookups are
// binary searches; it holds every handoff from the start to a little past the
// furthest instant asked about. A Handoff is safe for concurrent use.
type Handoff struct {
	text     string
	start    time.Time
	startSec int64 // start, in whole Unix seconds (floored)
	loc      *time.Location

	mu      sync.Mutex                  // serialises cache growth
	next    rrule.Next                  // wall-clock occurrences not yet consumed; guarded by mu
	pending []int64                     // resolved but not yet safe to publish, sorted; guarded by mu
	snap    atomic.Pointer[handoffSnap] // readers never lock
}

// handoffSnap is an immutable view of the cache. Appends only ever write
// past the len of any published times slice, so readers need no lock.
type handoffSnap struct {
	times   []int64 // handoffs in Unix seconds, ascending, strictly after start
	horizon int64   // every handoff at or before horizon is in times
	done    bool    // the rule has no more occurrences
}

// ParseHandoff parses rule, an RFC 5545 RRULE without DTSTART such as
// "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0" (an "RRULE:" prefix is
// accepted), anchors it at the instant start and evaluates it on wall-clock
// time in loc (see Handoff).
//
// It rejects a DTSTART in the text (start anchors the rule), COUNT and UNTIL
// (a rotation ends at its End instead), FREQ=MINUTELY or SECONDLY, the
// non-standard BYEASTER, and a rule with no handoff within 400 days after
// start.
func ParseHandoff(rule string, start time.Time, loc *time.Location) (*Handoff, error) {
	return parseHandoff(rule, start, loc, minShift)
}

// parseHandoff is ParseHandoff with the shortest shift as a parameter, so
// tests can reach the resolution of sub-hour rules across DST gaps.
func parseHandoff(rule string, start time.Time, loc *time.Location, shortest time.Duration) (*Handoff, error) {
	text := strings.TrimSpace(rule)
	if problems := ruleProblems(text); len(problems) > 0 {
		// Every problem at once: fixing one typo only to be told of the
		// next is a slow way to write a rule. Each is wrapped, so callers
		// still see rrule-go's errors.
		format := "handoff rule %q: " + strings.TrimSuffix(strings.Repeat("%w; ", len(problems)), "; ")
		args := []any{text}
		for _, p := range problems {
			args = append(args, p)
		}
		return nil, fmt.Errorf(format, args...)
	}
	if loc == nil {
		return nil, fmt.Errorf("handoff rule %q: no time zone", text)
	}
	if start.IsZero() {
		return nil, fmt.Errorf("handoff rule %q: no start", text)
	}
	opt, err := rrule.StrToROption(strings.ToUpper(text)) // it drops an "RRULE:" prefix itself
	if err != nil {
		return nil, fmt.Errorf("handoff rule %q: %w", text, err)
	}
	if opt.Freq == rrule.MINUTELY || opt.Freq == rrule.SECONDLY {
		return nil, fmt.Errorf("handoff rule %q: FREQ=%v is too fine; the finest is HOURLY", text, opt.Freq)
	}

	// Floating time: the start's wall clock, carried as UTC fields.
	wall := start.In(loc)
	opt.Dtstart = time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, fmt.Errorf("handoff rule %q: %w", text, err)
	}
	if err := checkMinGap(r, shortest); err != nil {
		return nil, fmt.Errorf("handoff rule %q: %w", text, err)
	}
	if err := checkFiresSoon(*opt); err != nil {
		return nil, fmt.Errorf("handoff rule %q starting %s: %w", text, wall.Format(time.DateTime+" MST"), err)
	}

	h := &Handoff{text: text, start: start, startSec: start.Unix(), loc: loc, next: r.Iterator()}
	h.snap.Store(&handoffSnap{horizon: math.MinInt64})
	return h, nil
}

// minShift is the shortest shift a handoff rule may make: pages go to a
// person, and a person can't be on call for minutes at a time.
const minShift = time.Hour

// checkMinGap rejects rules whose handoffs come less than minShift apart,
// such as FREQ=HOURLY;BYMINUTE=0,30. Rules repeat, so the first few hundred
// occurrences show the pattern.
func checkMinGap(r *rrule.RRule, shortest time.Duration) error {
	next := r.Iterator()
	prev, ok := next()
	for i := 0; ok && i < 300; i++ {
		cur, more := next()
		if !more {
			return nil
		}
		if cur.Sub(prev) < shortest {
			return fmt.Errorf("handoffs at %s and %s are %s apart; shifts must be at least %s",
				prev.Format("2006-01-02 15:04:05"), cur.Format("15:04:05"), cur.Sub(prev), shortest)
		}
		prev = cur
	}
	return nil
}

// checkRuleText rejects what rrule-go would accept but a handoff must not
// have, before parsing, so that the error names the real problem.
func checkRuleText(text string) error {
	if text == "" {
		return errors.New("empty rule")
	}
	up := strings.ToUpper(text)
	if strings.Contains(up, "DTSTART") {
		return errors.New("DTSTART is not allowed in the rule: the rotation's start anchors it")
	}
	if strings.ContainsAny(text, "\r\n") {
		return errors.New("the rule must be a single RRULE line")
	}
	for part := range strings.SplitSeq(strings.TrimPrefix(up, "RRULE:"), ";") {
		key, value, _ := strings.Cut(part, "=")
		switch strings.TrimSpace(key) {
		case "COUNT", "UNTIL":
			return fmt.Errorf("%s is not allowed: use the rotation's end instead", key)
		case "BYEASTER":
			return errors.New("BYEASTER is not part of RFC 5545")
		case "INTERVAL":
			// rrule-go would quietly read 0 as 1.
			if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n < 1 {
				return errors.New("INTERVAL must be at least 1")
			}
		}
	}
	return nil
}

// ruleProblems lists everything wrong with a rule's text that can be told
// part by part: checkRuleText's rules, then each KEY=VALUE part as rrule-go
// reads it on its own (a bad FREQ, an unknown key, BYHOUR=25). Problems
// that only the whole rule shows are left to the full parse.
func ruleProblems(text string) []error {
	if err := checkRuleText(text); err != nil {
		return []error{err}
	}
	var out []error
	hasFreq := false
	for part := range strings.SplitSeq(strings.TrimPrefix(strings.ToUpper(text), "RRULE:"), ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, _, _ := strings.Cut(part, "=")
		probe := "FREQ=DAILY;" + part
		if strings.TrimSpace(key) == "FREQ" {
			hasFreq, probe = true, part
		}
		opt, err := rrule.StrToROption(probe)
		if err == nil {
			opt.Dtstart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			_, err = rrule.NewRRule(*opt)
		}
		if err != nil {
			out = append(out, fmt.Errorf("%s: %w", part, err))
		}
	}
	if !hasFreq {
		out = append(out, errors.New("FREQ is required (e.g. FREQ=WEEKLY)"))
	}
	return out
}

// checkFiresSoon reports an error unless the rule has an occurrence within
// firstHandoffWithin after its DTSTART. rrule-go only gives up on a rule
// that never fires at year 9999, so the check runs on a copy moved a whole
// number of Gregorian cycles towards that year: same calendar, at most one
// cycle to scan.
func checkFiresSoon(opt rrule.ROption) error {
	from := opt.Dtstart
	shift := (rrule.MAXYEAR - 1 - from.Year()) / gregorianCycle * gregorianCycle
	opt.Dtstart = from.AddDate(shift, 0, 0)
	r, err := rrule.NewRRule(opt)
	if err != nil {
		return err
	}
	next := r.Iterator()
	for {
		w, ok := next()
		if !ok || w.Sub(opt.Dtstart) > firstHandoffWithin {
			return fmt.Errorf("no handoff within %d days of the start", firstHandoffWithin/(24*time.Hour))
		}
		if w.After(opt.Dtstart) {
			return nil
		}
	}
}

// String returns the rule text as given (trimmed).
func (h *Handoff) String() string { return h.text }

// Start returns the instant the rule is anchored at; handoffs are strictly
// after it.
func (h *Handoff) Start() time.Time { return h.start }

// Location returns the zone whose wall clock the rule runs on.
func (h *Handoff) Location() *time.Location { return h.loc }

// Next returns the first handoff strictly after after, or the zero Time if
// the rule has none (rrule-go stops about 290 years after the start).
func (h *Handoff) Next(after time.Time) time.Time {
	sec := after.Unix()
	s := h.through(sec, true)
	i := s.index(sec)
	if i == len(s.times) {
		return time.Time{}
	}
	return time.Unix(s.times[i], 0).In(h.loc)
}

// Between returns the handoffs in (from, to], ascending.
func (h *Handoff) Between(from, to time.Time) []time.Time {
	if !to.After(from) {
		return nil
	}
	s := h.through(to.Unix(), false)
	lo, hi := s.index(from.Unix()), s.index(to.Unix())
	out := make([]time.Time, 0, hi-lo)
	for _, sec := range s.times[lo:hi] {
		out = append(out, time.Unix(sec, 0).In(h.loc))
	}
	return out
}

// index returns how many cached handoffs are at or before sec.
func (s *handoffSnap) index(sec int64) int {
	i, found := slices.BinarySearch(s.times, sec)
	if found {
		i++
	}
	return i
}

// through returns a snapshot holding every handoff at or before sec and,
// with wantNext, also the first handoff after sec if there is one.
func (h *Handoff) through(sec int64, wantNext bool) *handoffSnap {
	s := h.snap.Load()
	if s.covers(sec, wantNext) {
		return s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s = h.snap.Load()
	for !s.covers(sec, wantNext) {
		s = h.grow(s, sec)
		h.snap.Store(s)
	}
	return s
}

func (s *handoffSnap) covers(sec int64, wantNext bool) bool {
	if s.done {
		return true
	}
	if wantNext {
		// Published handoffs are at or before horizon, so this covers sec too.
		return len(s.times) > 0 && s.times[len(s.times)-1] > sec
	}
	return s.horizon >= sec
}

// grow consumes at least one chunk of occurrences, or as many as needed to
// pass sec, and returns the next snapshot. Callers hold h.mu.
func (h *Handoff) grow(s *handoffSnap, sec int64) *handoffSnap {
	want := max(minChunk, len(s.times)/4) // geometric growth keeps the number of extensions logarithmic
	var lastWall int64
	done := false
	for n := 0; ; n++ {
		if n >= want && lastWall-int64(zoneSlack/time.Second) > sec {
			break
		}
		w, ok := h.next()
		if !ok {
			done = true
			break
		}
		lastWall = w.Unix()
		if at := ResolveWall(w, h.loc).Unix(); at > h.startSec {
			h.pending = append(h.pending, at)
		}
	}
	// Any later occurrence is a wall time after lastWall, which resolves to
	// no earlier than lastWall-zoneSlack: everything up to there is final.
	horizon := int64(math.MaxInt64)
	if !done {
		horizon = lastWall - int64(zoneSlack/time.Second)
	}
	slices.Sort(h.pending)
	times := s.times
	n := 0
	for _, at := range h.pending {
		if at > horizon {
			break
		}
		n++
		if len(times) == 0 || times[len(times)-1] != at {
			times = append(times, at)
		}
	}
	h.pending = slices.Delete(h.pending, 0, n)
	if done {
		h.next = nil // let the iterator go
	}
	return &handoffSnap{times: times, horizon: horizon, done: done}
}
