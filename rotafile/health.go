package rotafile

import (
	"fmt"
	"time"
)

// HealthHorizon is how far ahead Health looks for long stretches on call.
const HealthHorizon = 90 * 24 * time.Hour

// maxStretch is the longest run one person should hold one role.
const maxStretch = 7 * 24 * time.Hour

// minRest is the member count below which nobody gets three shifts' rest.
const minRest = 4

// Health returns warnings about rotas that work but wear people out, as of
// now: rotations too small to give anyone three weeks' rest, and anyone
// holding a role more than seven days in a row in the next 90 days. (Load
// already warns about teams without a secondary and escalation policies that
// end with one person.)
func Health(r *Rota, now time.Time) Diagnostics {
	var out Diagnostics
	for _, t := range r.Teams {
		for _, rot := range t.Schedule.Rotations {
			if rot.Follows != "" {
				continue
			}
			pos := t.rotationPos[rot.Role]
			for i, era := range rot.Eras {
				if i+1 < len(rot.Eras) && !rot.Eras[i+1].From.After(now) {
					continue // an era wholly in the past
				}
				distinct := map[string]bool{}
				for _, m := range era.Members {
					distinct[m] = true
				}
				if len(distinct) < minRest {
					out = append(out, Diagnostic{File: pos.File, Line: pos.Line, Col: pos.Col, Severity: Warning,
						Msg:  fmt.Sprintf("team %q rotation %q has %d people from %s: nobody gets three shifts off between turns", t.ID, rot.Role, len(distinct), era.From.In(t.Location).Format("2006-01-02")),
						Hint: "rotations of 4 or more give each person at least three shifts off between turns"})
				}
			}
		}
		for _, rot := range t.Schedule.Rotations {
			pos := t.rotationPos[rot.Role]
			for _, run := range longRuns(t, rot.Role, now) {
				out = append(out, Diagnostic{File: pos.File, Line: pos.Line, Col: pos.Col, Severity: Warning,
					Msg: fmt.Sprintf("team %q: %s holds %s for %s in a row, %s to %s", t.ID, run.person, rot.Role,
						formatDays(run.end.Sub(run.start)), run.start.In(t.Location).Format("2006-01-02 15:04"), run.end.In(t.Location).Format("2006-01-02 15:04")),
					Hint: "more than 7 days on call in a row wears people out; add members or an override to break it up"})
			}
		}
	}
	return out
}

type run struct {
	person     string
	start, end time.Time
}

// longRuns finds stretches over maxStretch where one person holds role,
// merging back-to-back shifts (a one-person rotation, an override that
// extends someone's week).
func longRuns(t *Team, role string, now time.Time) []run {
	var runs []run
	var cur run
	flush := func() {
		if cur.person != "" && cur.end.Sub(cur.start) > maxStretch {
			runs = append(runs, cur)
		}
	}
	for _, s := range t.Schedule.RoleShifts(role, now, now.Add(HealthHorizon)) {
		if s.Person == cur.person && s.Start.Equal(cur.end) {
			cur.end = s.End
			continue
		}
		flush()
		cur = run{s.Person, s.Start, s.End}
	}
	flush()
	return runs
}

func formatDays(d time.Duration) string {
	days := d.Hours() / 24
	if days == float64(int(days)) {
		return fmt.Sprintf("%d days", int(days))
	}
	return fmt.Sprintf("%.1f days", days)
}
