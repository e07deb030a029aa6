// Package report reads the ledger and prices it: the pay report.
package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pagerd/pagerd/health"
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
	lines, err := timesheet.Report(from, to, cals, func(teamID, p string) timesheet.Rates {
		t, ok := r.Team(teamID)
		if !ok || t.Pay == nil {
			return timesheet.Rates{Currency: timesheet.NoCurrency}
		}
		return t.Pay.Rates(p)
	}, segs, engs)
	if err != nil {
		return nil, err
	}
	toil, err := toilLines(ctx, st, r, from, to, keep, cals, engs)
	if err != nil {
		return nil, err
	}
	if len(toil) == 0 {
		return lines, nil
	}
	// TOIL lines follow each person's pay lines in the team.
	lines = append(lines, toil...)
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.Person != b.Person {
			return a.Person < b.Person
		}
		return a.Team < b.Team
	})
	return lines, nil
}

// toilLines is the time off in lieu of [from, to): engaged time on
// holidays, nights interrupted in sleep hours (each person's first page of
// each alert, drills apart, as the health report counts them) and TOIL
// corrections.
func toilLines(ctx context.Context, st *store.Store, r *rotafile.Rota, from, to time.Time, keep func(team, person string) bool,
	cals map[string]timesheet.Calendar, engs []timesheet.Engagement) ([]timesheet.Line, error) {
	rules := func(teamID, _ string) timesheet.TOILRules {
		t, ok := r.Team(teamID)
		if !ok || t.Pay == nil || t.Pay.TOIL == nil {
			return timesheet.TOILRules{}
		}
		return timesheet.TOILRules{HolidayEngagedPercent: t.Pay.TOIL.HolidayEngagedPercent, SleepNight: t.Pay.TOIL.SleepNight}
	}
	anyRules := false
	for _, t := range r.Teams {
		anyRules = anyRules || t.Pay != nil && t.Pay.TOIL != nil
	}
	fixes, err := st.TOILFixes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	var adjs []timesheet.TOILAdjustment
	for _, f := range fixes {
		if keep(f.Team, f.Person) {
			adjs = append(adjs, timesheet.TOILAdjustment{Person: f.Person, Team: f.Team, At: f.At, Seconds: f.Minutes * 60})
		}
	}
	if !anyRules && len(adjs) == 0 {
		return nil, nil
	}
	var nights []timesheet.Night
	if anyRules {
		// A page in [from, to) belongs to an alert created at most a day
		// before (a held low-urgency alert waits at most a weekend more;
		// its page is counted when its alert was created in the window).
		// Retired alerts count from their summaries, as in the health report.
		list, err := alertsCreated(ctx, st, from.Add(-24*time.Hour), to, func(string) bool { return true })
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			t, ok := r.Team(a.Team)
			if a.Drill || !ok || t.Pay == nil || t.Pay.TOIL == nil || t.Pay.TOIL.SleepNight == 0 {
				continue
			}
			for _, pg := range a.Pages {
				// Pages of the day before count too: a night counts in the
				// report that holds its first interruption.
				if !keep(a.Team, pg.Person) || pg.At.Before(from.Add(-24*time.Hour)) || !pg.At.Before(to) {
					continue
				}
				loc := t.Location
				if p, ok := r.People[pg.Person]; ok && p.Location != nil {
					loc = p.Location
				}
				if date, ok := health.SleepNight(pg.At, loc, t.SleepStart, t.SleepEnd); ok {
					nights = append(nights, timesheet.Night{Person: pg.Person, Team: a.Team, Date: date, At: pg.At})
				}
			}
		}
	}
	return timesheet.TOILReport(from, to, cals, rules, engs, nights, adjs)
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
