package report_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// BenchmarkPayReport100PeopleYear reads a year of ledger from etcd (10
// teams of 10 people, a primary and a secondary each, recorded per day as
// the leader does) and prices it.
func BenchmarkPayReport100PeopleYear(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var people strings.Builder
	people.WriteString("people:\n")
	files := []rotafile.File{}
	for t := 0; t < 10; t++ {
		var members []string
		for p := 0; p < 10; p++ {
			id := fmt.Sprintf("p%d-%d", t, p)
			members = append(members, id)
			fmt.Fprintf(&people, "  - {id: %s, name: %s, timezone: UTC, contacts: {sms: \"+4477009%05d\"}}\n", id, id, t*10+p)
		}
		files = append(files, rotafile.File{Name: fmt.Sprintf("t%d.yaml", t), Data: []byte(fmt.Sprintf(`team: t%d
timezone: Europe/London
holidays: [2026-12-25, 2026-12-28, 2027-01-01]
rotations:
  primary: {members: [%s], handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", start: 2026-01-05T09:00}
  secondary: {follows: primary}
escalation: {steps: [{notify: [primary, secondary], ack_timeout: 5m}]}
pay:
  currency: GBP
  standby_per_hour: {weekday_out_of_hours: 2.50, weekend: 4, holiday: 6}
  engaged_per_hour: 30
  minimum_callout_minutes: 30
  max_per_day: 150
`, t, strings.Join(members, ", ")))})
	}
	files = append(files, rotafile.File{Name: "people.yaml", Data: []byte(people.String())})
	r, diags := rotafile.Load(files)
	if err := diags.Err(); err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	entries := 0
	for _, t := range r.Teams {
		var held []store.Held
		for _, sh := range t.Schedule.Shifts(from, to) {
			// Cut per day, as the ledger records shifts under way.
			for s := sh.Start; s.Before(sh.End); {
				e := time.Date(s.Year(), s.Month(), s.Day()+1, 0, 0, 0, 0, time.UTC)
				if e.After(sh.End) {
					e = sh.End
				}
				held = append(held, store.Held{Team: t.ID, Role: sh.Role, Person: sh.Person, Start: s, End: e, Source: string(sh.Source), RecordedAt: e})
				s = e
			}
		}
		entries += len(held)
		if err := st.RecordHeld(ctx, nil, t.ID, held, store.LedgerCursor{Upto: to}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(entries), "entries")
	b.ResetTimer()
	for b.Loop() {
		lines, err := report.Pay(ctx, st, r, from, to, "", "")
		if err != nil || len(lines) == 0 {
			b.Fatal(err)
		}
	}
}
