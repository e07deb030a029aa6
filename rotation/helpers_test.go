package rotation

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below must load on machines without tz files
)

var testZones = []string{"Europe/London", "America/New_York", "Australia/Lord_Howe"}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// wall parses "2006-01-02 15:04[:05]" as wall-clock fields (in UTC, since
// ResolveWall ignores the location).
func wall(t testing.TB, s string) time.Time {
	t.Helper()
	for _, layout := range []string{time.DateTime, "2006-01-02 15:04"} {
		if w, err := time.Parse(layout, s); err == nil {
			return w
		}
	}
	t.Fatalf("bad wall time %q", s)
	return time.Time{}
}

// local is the instant of wall-clock s in loc, resolved the RFC 5545 way.
func local(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	return ResolveWall(wall(t, s), loc)
}

// utc parses an RFC 3339 instant.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad instant %q: %v", s, err)
	}
	return v
}

func mustHandoff(t testing.TB, rule string, start time.Time, loc *time.Location) *Handoff {
	t.Helper()
	// Sub-hour rules are rejected by ParseHandoff but still exercise how
	// wall times resolve across DST gaps, so the tests allow them.
	h, err := parseHandoff(rule, start, loc, 0)
	if err != nil {
		t.Fatalf("ParseHandoff(%q): %v", rule, err)
	}
	return h
}

func mustCompile(t testing.TB, s *Schedule) *Schedule {
	t.Helper()
	if err := s.Compile(); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

// transition is a UTC offset change found in the tz data.
type transition struct {
	at                 time.Time // first instant of the new offset
	wallBefore, wallAt string    // wall clock just before and at it, "15:04:05"
	offBefore, offAt   time.Duration
}

// transitionsIn lists a zone's offset changes during a year, from the tz
// data itself, so that tests check the dates they rely on.
func transitionsIn(loc *time.Location, year int) []transition {
	var out []transition
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			return out
		}
		before := end.Add(-time.Second).In(loc)
		_, ob := before.Zone()
		_, oa := end.Zone()
		out = append(out, transition{
			at:         end,
			wallBefore: before.Format("2006-01-02 15:04:05"),
			wallAt:     end.In(loc).Format("2006-01-02 15:04:05"),
			offBefore:  time.Duration(ob) * time.Second,
			offAt:      time.Duration(oa) * time.Second,
		})
		t = end
	}
}
