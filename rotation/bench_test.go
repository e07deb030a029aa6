package rotation

import (
	"fmt"
	"testing"
	"time"
)

func benchNow() time.Time { return time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC) }

// benchTeams builds n compiled schedules, each with a weekly primary and a
// secondary started a year before benchNow, in the three test zones. Half
// the secondaries follow the primary; the rest have their own rule. Each
// team also has two overrides and a shadow around benchNow.
func benchTeams(b *testing.B, n int) []*Schedule {
	b.Helper()
	var zones []*time.Location
	for _, z := range testZones {
		zones = append(zones, mustZone(b, z))
	}
	now := benchNow()
	days := []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}
	out := make([]*Schedule, n)
	for i := range out {
		loc := zones[i%len(zones)]
		y, m, d := now.In(loc).AddDate(-1, 0, -i%7).Date()
		start := ResolveWall(time.Date(y, m, d, 9, 0, 0, 0, time.UTC), loc)
		members := []string{"p1", "p2", "p3", "p4", "p5", "p6"}
		primary := &Rotation{
			Role: "primary", Start: start,
			Handoff: mustHandoff(b, fmt.Sprintf("FREQ=WEEKLY;BYDAY=%s;BYHOUR=9;BYMINUTE=0;BYSECOND=0", days[start.Weekday()]), start, loc),
			Eras:    []Era{{From: start, Members: members}},
		}
		secondary := &Rotation{Role: "secondary", Follows: "primary", Offset: 1}
		if i%2 == 1 {
			secondary = &Rotation{
				Role: "secondary", Start: start,
				Handoff: mustHandoff(b, "FREQ=WEEKLY;BYDAY=WE;BYHOUR=17;BYMINUTE=30;BYSECOND=0", start, loc),
				Eras:    []Era{{From: start, Members: []string{"s1", "s2", "s3", "s4"}}},
			}
		}
		out[i] = &Schedule{
			Team: fmt.Sprintf("team%04d", i), Location: loc,
			Rotations: []*Rotation{primary, secondary},
			Overrides: []Override{
				{Role: "primary", Person: "cover", From: now.Add(-30 * time.Hour), Until: now.Add(-6 * time.Hour)},
				{Role: "secondary", Person: "cover", From: now.Add(time.Duration(i%48) * time.Hour), Until: now.Add(72 * time.Hour)},
			},
			Shadows: []Shadow{{Person: "new", Role: "primary", From: now.AddDate(0, 0, -10), Until: now.AddDate(0, 0, 10)}},
		}
		mustCompile(b, out[i])
	}
	return out
}

// whoAll asks every team who is on call at now, returning the number of
// holders so that the work cannot be optimised away.
func whoAll(teams []*Schedule, now time.Time) int {
	n := 0
	for _, s := range teams {
		for _, oc := range s.Who(now) {
			if oc.Holder != nil {
				n++
			}
		}
	}
	return n
}

// BenchmarkWho1000Teams measures one "who is on call for every team" sweep
// (the design target is 5 ms for 1,000 teams). warm: caches already cover
// now. cold: the first sweep after Compile, which generates each rule's
// handoffs for the year since its start; building the schedules is not
// timed.
func BenchmarkWho1000Teams(b *testing.B) {
	const teams = 1000
	now := benchNow()
	b.Run("warm", func(b *testing.B) {
		ss := benchTeams(b, teams)
		if got := whoAll(ss, now); got != 2*teams {
			b.Fatalf("%d holders, want %d", got, 2*teams)
		}
		b.ReportAllocs()
		for b.Loop() {
			whoAll(ss, now)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/teams, "ns/team")
	})
	b.Run("warm-parallel", func(b *testing.B) {
		ss := benchTeams(b, teams)
		whoAll(ss, now)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				whoAll(ss, now)
			}
		})
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			ss := benchTeams(b, teams)
			b.StartTimer()
			whoAll(ss, now)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/teams, "ns/team")
	})
}

// BenchmarkShiftsYear10PersonWeekly lists a year of shifts (52) for a
// 10-person weekly rotation.
func BenchmarkShiftsYear10PersonWeekly(b *testing.B) {
	loc := mustZone(b, "Europe/London")
	start := local(b, loc, "2026-01-05 09:00")
	end := start.AddDate(1, 0, 0)
	build := func() *Schedule {
		s := &Schedule{Team: "payments", Location: loc, Rotations: []*Rotation{{
			Role: "primary", Start: start, Handoff: mustHandoff(b, weeklyMonday9, start, loc),
			Eras: []Era{{From: start, Members: []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"}}},
		}}}
		return mustCompile(b, s)
	}
	b.Run("warm", func(b *testing.B) {
		s := build()
		if got := len(s.Shifts(start, end)); got != 53 { // 52 weeks and the part-week cut by end
			b.Fatalf("%d shifts", got)
		}
		b.ReportAllocs()
		for b.Loop() {
			s.Shifts(start, end)
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			s := build()
			b.StartTimer()
			s.Shifts(start, end)
		}
	})
}
