package timesheet

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// benchYear builds a year of ledger for 100 people in 10 teams (three
// zones): weekly primary and secondary shifts handed over on Mondays at
// 09:00 local (a person's secondary week runs into their primary week), a
// four-week shadow per team, and two engagements per person per month at
// seeded random times.
func benchYear(b *testing.B) (map[string]Calendar, func(string, string) Rates, []Segment, []Engagement) {
	b.Helper()
	zones := []string{"Europe/London", "America/New_York", "Australia/Lord_Howe"}
	cals := map[string]Calendar{}
	var segs []Segment
	var engs []Engagement
	rng := rand.New(rand.NewSource(1))
	for t := range 10 {
		team := fmt.Sprintf("team%02d", t)
		loc := mustZone(b, zones[t%len(zones)])
		cals[team] = Calendar{Location: loc, Days: monFri(), Start: hm(9, 0), End: hm(17, 30),
			Holidays: []string{"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"}}
		person := func(i int) string { return fmt.Sprintf("t%02dp%02d", t, i%10) }
		week := func(w int) time.Time { return time.Date(2025, 12, 29+7*w, 9, 0, 0, 0, loc) }
		for w := range 53 {
			segs = append(segs,
				Segment{Person: person(w), Team: team, Role: "primary", Start: week(w), End: week(w + 1)},
				Segment{Person: person(w + 1), Team: team, Role: "secondary", Start: week(w), End: week(w + 1)})
		}
		segs = append(segs, Segment{Person: fmt.Sprintf("t%02dnew", t), Team: team, Role: "primary", Start: week(10), End: week(14), Shadow: true})
		for p := range 10 {
			for m := range 12 {
				for range 2 {
					start := time.Date(2026, time.Month(m+1), 1+rng.Intn(28), rng.Intn(24), rng.Intn(60), 0, 0, loc)
					engs = append(engs, Engagement{Person: person(p), Team: team, AlertID: int64(len(engs) + 1),
						Start: start, End: start.Add(time.Duration(5+rng.Intn(120)) * time.Minute)})
				}
			}
		}
	}
	rates := func(team, person string) Rates {
		r := gbp()
		if team >= "team05" {
			r.MaxPerDay = 5000 // half the teams exercise the cap
		}
		return r
	}
	return cals, rates, segs, engs
}

func BenchmarkReport100PeopleYear(b *testing.B) {
	cals, rates, segs, engs := benchYear(b)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var lines []Line
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if lines, err = Report(from, to, cals, rates, segs, engs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(lines)), "lines")
}
