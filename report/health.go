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

// Health is the health report of [from, to): the ledger (corrections
// applied) and the alerts created in the window, mapped for the pure
// health package. team, if set, keeps that team; person, if set, keeps that
// person's rows (shares are still of their whole team). Alerts already
// retired count from their summaries, for as long as history_retention
// keeps them.
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
	if in.Alerts, err = alertsCreated(ctx, st, from, to, keepTeam); err != nil {
		return nil, err
	}
	return health.Compute(in)
}

// HealthAlert maps a stored alert: each person's first page, whether it
// went past the first step, who acknowledged.
func HealthAlert(a *store.Alert) health.Alert {
	e := a.Esc
	pages, escalated := a.Interruptions()
	return health.Alert{ID: a.ID, Team: a.Team, Created: a.CreatedAt, Drill: a.Drill,
		AckedBy: e.AckedBy, AckedAt: e.AckedAt, ResolvedAt: e.ResolvedAt, Escalated: escalated, Pages: healthPages(pages)}
}

// HealthSummary maps a retired alert's summary: the same figures its
// HealthAlert gave while it was live.
func HealthSummary(s *store.Summary) health.Alert {
	return health.Alert{ID: s.ID, Team: s.Team, Created: s.CreatedAt, Drill: s.Drill,
		AckedBy: s.AckedBy, AckedAt: s.AckedAt, ResolvedAt: s.ResolvedAt, Escalated: s.Escalated, Pages: healthPages(s.FirstPages)}
}

func healthPages(pages []store.FirstPage) []health.Page {
	out := make([]health.Page, 0, len(pages))
	for _, p := range pages {
		out = append(out, health.Page{Person: p.Person, At: p.At, Shadow: p.Shadow})
	}
	return out
}

// alertsCreated is every alert created in [from, to) of a team that keep
// passes, live or retired: live ones from the store, retired ones from
// their summaries, each once.
func alertsCreated(ctx context.Context, st *store.Store, from, to time.Time, keep func(team string) bool) ([]health.Alert, error) {
	// Live first, then history: an alert retired between the two reads is
	// then in both (and counted once), never in neither.
	list, err := st.List(ctx, func(a *store.Alert) bool {
		return keep(a.Team) && !a.CreatedAt.Before(from) && a.CreatedAt.Before(to)
	}, 0)
	if err != nil {
		return nil, err
	}
	seen := make(map[int64]bool, len(list))
	out := make([]health.Alert, 0, len(list))
	for _, a := range list {
		seen[a.ID] = true
		out = append(out, HealthAlert(a))
	}
	retired, err := st.HistoryRange(ctx, from, to, func(s *store.Summary) bool { return keep(s.Team) && !seen[s.ID] }, 0)
	if err != nil {
		return nil, err
	}
	for i := range retired {
		out = append(out, HealthSummary(&retired[i]))
	}
	// Newest first, as the store lists live ones.
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
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
