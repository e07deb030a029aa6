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

// restDays is the least time, in days on the team's wall clock, a healthy
// rota gives anyone between two turns of one role: three weeks.
const restDays = 21

// Health returns warnings about rotas that work but wear people out, as of
// now: rotations too small to give anyone three weeks' rest, and anyone
// holding a role more than seven days in a row in the next 90 days. (Load
// already warns about teams without a secondary and escalation policies that
// end with one person.)
func Health(r *Rota, now time.Time) Diagnostics {
	var out Diagnostics
	for _, t := range r.Teams {
		out = append(out, smallRotations(t, now, time.Time{})...)
		out = append(out, longStretches(t, now, now.Add(HealthHorizon))...)
	}
	return out
}

// HealthIn returns the team's health warnings about [from, to), as `pagerd
// diff` compares them: member lists in force in it with fewer than 4
// people, stretches of more than seven days, and anyone given less than
// three weeks between two turns of a role, the gap and both
// turns inside the window.
func (t *Team) HealthIn(from, to time.Time) Diagnostics {
	var out Diagnostics
	out = append(out, smallRotations(t, from, to)...)
	out = append(out, longStretches(t, from, to)...)
	return append(out, shortRests(t, from, to)...)
}

// smallRotations warns about member lists of fewer than minRest people in
// force at or after from (and, unless to is zero, starting before to).
// Followers share their rotation's lists and are not checked again.
func smallRotations(t *Team, from, to time.Time) Diagnostics {
	var out Diagnostics
	for _, rot := range t.Schedule.Rotations {
		if rot.Follows != "" {
			continue
		}
		pos := t.rotationPos[rot.Role]
		for i, era := range rot.Eras {
			if i+1 < len(rot.Eras) && !rot.Eras[i+1].From.After(from) {
				continue // an era wholly before the window
			}
			if !to.IsZero() && !era.From.Before(to) {
				continue // an era wholly after it
			}
			distinct := map[string]bool{}
			for _, m := range era.Members {
				distinct[m] = true
			}
			if len(distinct) < minRest {
				out = append(out, Diagnostic{File: pos.File, Line: pos.Line, Col: pos.Col, Severity: Warning, Rule: RuleSmallRotation,
					Msg:  fmt.Sprintf("team %q rotation %q has %d people from %s: nobody gets three shifts off between turns", t.ID, rot.Role, len(distinct), era.From.In(t.Location).Format("2006-01-02")),
					Hint: "rotations of 4 or more give each person at least three shifts off between turns"})
			}
		}
	}
	return out
}

func longStretches(t *Team, from, to time.Time) Diagnostics {
	var out Diagnostics
	for _, rot := range t.Schedule.Rotations {
		pos := t.rotationPos[rot.Role]
		for _, run := range turns(t, rot.Role, from, to) {
			// Seven days on the team's wall clock: a week from Monday
			// 09:00 across the autumn clock change is 169 hours, and
			// still a week.
			long := wallSpan(run.start, run.end, t.Location)
			if long <= maxStretch {
				continue
			}
			out = append(out, Diagnostic{File: pos.File, Line: pos.Line, Col: pos.Col, Severity: Warning, Rule: RuleLongStretch,
				Msg: fmt.Sprintf("team %q: %s holds %s for %s in a row, %s to %s", t.ID, run.person, rot.Role,
					formatDays(long), run.start.In(t.Location).Format("2006-01-02 15:04"), run.end.In(t.Location).Format("2006-01-02 15:04")),
				Hint: "more than 7 days on call in a row wears people out; add members or an override to break it up"})
		}
	}
	return out
}

// shortRests warns, once per role and person, about the shortest time
// under three weeks between two of the person's turns of the role in
// [from, to). A turn is a run of back-to-back shifts, so an override that
// extends someone's week is one turn, and one that brings them back a week
// after their own is another.
func shortRests(t *Team, from, to time.Time) Diagnostics {
	var out Diagnostics
	for _, rot := range t.Schedule.Rotations {
		pos := t.rotationPos[rot.Role]
		last := map[string]run{}
		shortest := map[string]run{} // person -> the gap, as a run from one turn's end to the next one's start
		var order []string
		for _, r := range turns(t, rot.Role, from, to) {
			if prev, ok := last[r.person]; ok {
				gap := run{r.person, prev.end, r.start}
				best, seen := shortest[r.person]
				// Three weeks on the team's wall clock: Monday 09:00 to
				// Monday 09:00 is three weeks even across a clock change.
				short := gap.end.Before(gap.start.In(t.Location).AddDate(0, 0, restDays))
				if short && (!seen || gap.end.Sub(gap.start) < best.end.Sub(best.start)) {
					if !seen {
						order = append(order, r.person)
					}
					shortest[r.person] = gap
				}
			}
			last[r.person] = r
		}
		for _, p := range order {
			g := shortest[p]
			out = append(out, Diagnostic{File: pos.File, Line: pos.Line, Col: pos.Col, Severity: Warning, Rule: RuleShortRest,
				Msg: fmt.Sprintf("team %q: %s gets %s off between turns of %s, %s to %s", t.ID, p, formatDays(wallSpan(g.start, g.end, t.Location)), rot.Role,
					g.start.In(t.Location).Format("2006-01-02 15:04"), g.end.In(t.Location).Format("2006-01-02 15:04")),
				Hint: "a healthy rota gives everyone at least three weeks between turns; look for a swap or override that brings someone back early"})
		}
	}
	return out
}

type run struct {
	person     string
	start, end time.Time
}

// turns lists the runs of role in [from, to): each a person holding it over
// back-to-back shifts (a one-person rotation, an override that extends
// someone's week, a member change that restarts with whoever was on).
func turns(t *Team, role string, from, to time.Time) []run {
	var runs []run
	for _, s := range t.Schedule.RoleShifts(role, from, to) {
		if n := len(runs); n > 0 && runs[n-1].person == s.Person && s.Start.Equal(runs[n-1].end) {
			runs[n-1].end = s.End
			continue
		}
		runs = append(runs, run{s.Person, s.Start, s.End})
	}
	return runs
}

// wallSpan is b - a as the team's wall clock shows it: Monday 09:00 to the
// next Monday 09:00 is seven days, clock change or not.
func wallSpan(a, b time.Time, loc *time.Location) time.Duration {
	wall := func(x time.Time) time.Time {
		x = x.In(loc)
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
	}
	return wall(b).Sub(wall(a))
}

func formatDays(d time.Duration) string {
	days := d.Hours() / 24
	if days == float64(int(days)) {
		if int(days) == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", int(days))
	}
	return fmt.Sprintf("%.1f days", days)
}
