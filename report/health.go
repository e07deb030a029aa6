package report

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/health"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timesheet"
)

// Health is the health report of [from, to): the ledger (corrections
// applied) and the alerts created in the window, mapped for the pure
// health package. team, if set, keeps that team; person, if set, keeps that
// person's rows (shares are still of their whole team). Alerts already
// retired (past the retention) are no longer in the store and don't count:
// keep retention longer than the reports you run.
func Health(ctx context.Context, st *store.Store, r *rotafile.Rota, from, to time.Time, team, person string) (*health.Report, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("the report's end must be after its start")
	}
	held, fixes, err := st.Ledger(ctx, from, to)
	if err != nil {
		return nil, err
	}
	keepTeam := func(id string) bool {
		_, known := r.Team(id)
		return known && (team == "" || id == team)
	}
	in := health.Input{From: from, To: to, Teams: map[string]health.Team{}, Zones: map[string]*time.Location{}, Person: person}
	for _, t := range r.Teams {
		if !keepTeam(t.ID) {
			continue
		}
		in.Teams[t.ID] = health.Team{Calendar: t.Calendar(), SleepStart: t.SleepStart, SleepEnd: t.SleepEnd, Members: members(t, from, to)}
	}
	for id, p := range r.People {
		in.Zones[id] = p.Location
	}
	for _, h := range applyCorrections(held, fixes) {
		if keepTeam(h.Team) {
			in.Held = append(in.Held, timesheet.Segment{Person: h.Person, Team: h.Team, Role: h.Role, Start: h.Start, End: h.End, Shadow: h.Shadow})
		}
	}
	list, err := st.List(ctx, func(a *store.Alert) bool {
		return keepTeam(a.Team) && !a.CreatedAt.Before(from) && a.CreatedAt.Before(to)
	}, 0)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		in.Alerts = append(in.Alerts, HealthAlert(a))
	}
	return health.Compute(in)
}

// HealthAlert maps a stored alert: each person's first page, whether it
// went past the first step, who acknowledged.
func HealthAlert(a *store.Alert) health.Alert {
	e := a.Esc
	out := health.Alert{ID: a.ID, Team: a.Team, Created: a.CreatedAt, Drill: a.Drill,
		AckedBy: e.AckedBy, AckedAt: e.AckedAt, ResolvedAt: e.ResolvedAt,
		Escalated: e.Step > 0 || e.Pass > 0 || e.Exhausted}
	first := map[string]int{}
	for _, m := range a.Pages {
		if m.Step > 0 || m.Pass > 0 {
			out.Escalated = true
		}
		if i, ok := first[m.Person]; ok {
			p := &out.Pages[i]
			if m.At.Before(p.At) {
				p.At = m.At
			}
			p.Shadow = p.Shadow && m.Shadow // someone who may ack, if ever paged so
			continue
		}
		first[m.Person] = len(out.Pages)
		out.Pages = append(out.Pages, health.Page{Person: m.Person, At: m.At, Shadow: m.Shadow})
	}
	if len(a.Pages) == 0 {
		// An alert from before pages were marked: everyone it paged, at
		// its creation (the best the record knows).
		for _, r := range e.Paged {
			if _, ok := first[r.Person]; !ok {
				first[r.Person] = len(out.Pages)
				out.Pages = append(out.Pages, health.Page{Person: r.Person, At: a.CreatedAt, Shadow: r.Shadow && !r.Reverse})
			}
		}
	}
	return out
}

// members are the people of the team's rotations in member lists in force
// over [from, to).
func members(t *rotafile.Team, from, to time.Time) []string {
	seen := map[string]bool{}
	var out []string
	for _, rot := range t.Schedule.Rotations {
		for i, era := range rot.Eras {
			if i+1 < len(rot.Eras) && !rot.Eras[i+1].From.After(from) {
				continue // over before the window
			}
			if !era.From.Before(to) || !rot.End.IsZero() && !rot.End.After(from) {
				continue
			}
			for _, m := range era.Members {
				if !seen[m] {
					seen[m] = true
					out = append(out, m)
				}
			}
		}
	}
	return out
}
