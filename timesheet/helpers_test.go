package timesheet

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below must load on machines without tz files

	"github.com/pagerd/pagerd/rotation"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// at is the instant of wall time s ("2006-01-02 15:04") in loc, resolved
// the RFC 5545 way, as the calendar resolves its boundaries.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	w, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatalf("bad wall time %q", s)
	}
	return rotation.ResolveWall(w, loc)
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// monFri is the rota loader's default days with mon-fri listed.
func monFri() [7]bool {
	return [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
}

// london is the payments team of the design sketch: mon-fri 09:00-17:30 with
// the summer bank holiday (a Monday) and Christmas.
func london(t testing.TB) Calendar {
	return Calendar{
		Location: mustZone(t, "Europe/London"),
		Days:     monFri(),
		Start:    hm(9, 0), End: hm(17, 30),
		Holidays: []string{"2026-08-31", "2026-12-25", "2026-12-26", "2026-12-28"},
	}
}
