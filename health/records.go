package health

import (
	"strconv"
	"time"
)

// Records lays the report out for encoding/csv, one figure a row: a header
// (team, person, figure, value), then each team's figures (person empty),
// each person's, and the warnings (figure "warning", the message as value).
// Durations are whole seconds; an empty value is a figure with no data
// (a percentile of no acks, the rest of someone with one turn).
func Records(r *Report) [][]string {
	out := [][]string{{"team", "person", "figure", "value"}}
	row := func(team, person, fig, v string) { out = append(out, []string{team, person, fig, v}) }
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return i(*p)
	}
	durs := func(team, person, name string, d Durations) {
		row(team, person, name+"_n", i(int64(d.N)))
		row(team, person, name+"_p50_seconds", opt(d.P50))
		row(team, person, name+"_p90_seconds", opt(d.P90))
	}
	for _, t := range r.Teams {
		row(t.Team, "", "alerts", i(int64(t.Alerts)))
		durs(t.Team, "", "time_to_ack", t.Ack)
		durs(t.Team, "", "time_to_resolve", t.Resolve)
		row(t.Team, "", "escalated", i(int64(t.Escalated)))
		row(t.Team, "", "acked_by_nobody", i(int64(t.Unacked)))
		row(t.Team, "", "drills", i(int64(t.Drills)))
		durs(t.Team, "", "drill_time_to_ack", t.DrillAck)
		row(t.Team, "", "out_of_hours_seconds", i(t.OutOfHoursSeconds))
		row(t.Team, "", "sharing", i(int64(t.Sharing)))
	}
	for _, p := range r.People {
		row(p.Team, p.Person, "business_seconds", i(p.OnCall.Business))
		row(p.Team, p.Person, "weekday_out_of_hours_seconds", i(p.OnCall.WeekdayOutOfHours))
		row(p.Team, p.Person, "weekend_seconds", i(p.OnCall.Weekend))
		row(p.Team, p.Person, "holiday_seconds", i(p.OnCall.Holiday))
		row(p.Team, p.Person, "shadow_seconds", i(p.ShadowSeconds))
		row(p.Team, p.Person, "pages", i(int64(p.Pages)))
		row(p.Team, p.Person, "out_of_hours_interruptions", i(int64(p.OutOfHoursPages)))
		row(p.Team, p.Person, "sleep_interruptions", i(int64(p.SleepPages)))
		row(p.Team, p.Person, "nights_interrupted", i(int64(p.NightsInterrupted)))
		durs(p.Team, p.Person, "time_to_ack", p.Ack)
		row(p.Team, p.Person, "drills", i(int64(p.Drills)))
		durs(p.Team, p.Person, "drill_time_to_ack", p.DrillAck)
		if p.Rest != nil {
			row(p.Team, p.Person, "rest_weeks", f(p.Rest.Weeks))
			row(p.Team, p.Person, "rest_role", p.Rest.Role)
			row(p.Team, p.Person, "rest_from", p.Rest.From.UTC().Format(time.RFC3339))
			row(p.Team, p.Person, "rest_until", p.Rest.Until.UTC().Format(time.RFC3339))
			row(p.Team, p.Person, "rest_short", strconv.FormatBool(p.Rest.Short))
		} else {
			row(p.Team, p.Person, "rest_weeks", "")
		}
		row(p.Team, p.Person, "out_of_hours_share", f(p.OutOfHoursShare))
		row(p.Team, p.Person, "equal_share", f(p.EqualShare))
		row(p.Team, p.Person, "fairness", f(p.Fairness))
	}
	for _, w := range r.Warnings {
		row(w.Team, w.Person, "warning", w.Rule+": "+w.Msg)
	}
	return out
}
