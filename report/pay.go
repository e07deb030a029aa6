// Package report reads the ledger and prices it: the pay report.
package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timesheet"
)

// Pay prices the ledger for [from, to): who held which role (with
// corrections applied) and who worked which alert, classed by each team's
// business hours and holidays and priced at its rates. team and person, if
// set, narrow it. Rates and calendars come from the rota in force; the
// time comes from the ledger alone, so a rota edit doesn't change the past.
func Pay(ctx context.Context, st *store.Store, r *rotafile.Rota, from, to time.Time, team, person string) ([]timesheet.Line, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("the report's end must be after its start")
	}
	held, fixes, err := st.Ledger(ctx, from, to)
	if err != nil {
		return nil, err
	}
	worked, err := st.Worked(ctx, from, to)
	if err != nil {
		return nil, err
	}
	cals := map[string]timesheet.Calendar{}
	for _, t := range r.Teams {
		cals[t.ID] = t.Calendar()
	}
	keep := func(t, p string) bool {
		_, known := cals[t]
		return known && (team == "" || t == team) && (person == "" || p == person)
	}
	var segs []timesheet.Segment
	for _, h := range applyCorrections(held, fixes) {
		if keep(h.Team, h.Person) {
			segs = append(segs, timesheet.Segment{Person: h.Person, Team: h.Team, Role: h.Role, Start: h.Start, End: h.End, Shadow: h.Shadow})
		}
	}
	var engs []timesheet.Engagement
	for _, w := range worked {
		if keep(w.Team, w.Person) {
			engs = append(engs, timesheet.Engagement{Person: w.Person, Team: w.Team, AlertID: w.AlertID, Start: w.Start, End: w.End})
		}
	}
	return timesheet.Report(from, to, cals, func(teamID, p string) timesheet.Rates {
		t, ok := r.Team(teamID)
		if !ok || t.Pay == nil {
			return timesheet.Rates{}
		}
		return rates(t.Pay, p)
	}, segs, engs)
}

// rates maps a team's pay block, with the person's own rates where the
// rota gives them.
func rates(p *rotafile.Pay, person string) timesheet.Rates {
	if o, ok := p.People[person]; ok {
		p = o
	}
	return timesheet.Rates{
		Currency: p.Currency,
		Standby: map[timesheet.Class]int64{
			timesheet.WeekdayOutOfHours: p.StandbyWeekdayOOH,
			timesheet.Weekend:           p.StandbyWeekend,
			timesheet.Holiday:           p.StandbyHoliday,
		},
		Shadow:         p.ShadowPerHour,
		Engaged:        p.EngagedPerHour,
		MinimumCallout: time.Duration(p.MinimumCalloutMinutes) * time.Minute,
		MaxPerDay:      p.MaxPerDay,
	}
}

// applyCorrections replaces, within each correction's window, what the
// ledger says about that team's role (holders, or that person's shadowing)
// with the correction itself.
func applyCorrections(held, fixes []store.Held) []store.Held {
	sort.SliceStable(fixes, func(i, j int) bool { return fixes[i].RecordedAt.Before(fixes[j].RecordedAt) })
	out := held
	for _, f := range fixes {
		var next []store.Held
		for _, h := range out {
			covered := h.Team == f.Team && h.Role == f.Role && h.Shadow == f.Shadow && (!f.Shadow || h.Person == f.Person)
			if !covered || !h.End.After(f.Start) || !h.Start.Before(f.End) {
				next = append(next, h)
				continue
			}
			if h.Start.Before(f.Start) {
				before := h
				before.End = f.Start
				next = append(next, before)
			}
			if h.End.After(f.End) {
				after := h
				after.Start = f.End
				next = append(next, after)
			}
		}
		if f.Person != "" {
			next = append(next, f)
		}
		out = next
	}
	return out
}
