package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/pagerd/pagerd/health"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/store"
)

// HealthReport is the on-call health report (docs/health.md) as a report
// of the Reports page: per person, out-of-hours time, interruptions, rest
// and fairness; per team, acknowledgement and resolution times; and the
// rota-health warnings judged on what happened. Its CSV is the API's.
func HealthReport(st *store.Store) Report {
	compute := func(ctx context.Context, rt *inforce.Rota, from, to time.Time, team string) (*health.Report, error) {
		if rt == nil {
			return nil, fmt.Errorf("no rota in force")
		}
		return report.Health(ctx, st, rt.Rota, from, to, team, "")
	}
	return Report{
		Name:  "health",
		Title: "On-call health",
		HTML: func(ctx context.Context, rt *inforce.Rota, from, to time.Time, team string) (template.HTML, error) {
			r, err := compute(ctx, rt, from, to, team)
			if err != nil {
				return "", err
			}
			var b bytes.Buffer
			if err := healthTmpl.Execute(&b, healthView(r)); err != nil {
				return "", fmt.Errorf("render health report: %w", err)
			}
			return template.HTML(b.String()), nil // html/template escaped it
		},
		CSV: func(ctx context.Context, w io.Writer, rt *inforce.Rota, from, to time.Time, team string) error {
			r, err := compute(ctx, rt, from, to, team)
			if err != nil {
				return err
			}
			cw := csv.NewWriter(w)
			if err := cw.WriteAll(health.Records(r)); err != nil {
				return fmt.Errorf("write health CSV: %w", err)
			}
			return nil
		},
	}
}

type healthPersonRow struct {
	Person, Team                        string
	OutOfHours, Shadow                  string
	Pages, OOHPages, SleepPages, Nights int
	Rest                                string
	RestShort                           bool
	Fairness                            string
}

type healthTeamRow struct {
	Team                       string
	Alerts, Escalated, Unacked int
	AckP50, AckP90, ResolveP50 string
}

type healthPage struct {
	People   []healthPersonRow
	Teams    []healthTeamRow
	Warnings []health.Warning
}

func healthView(r *health.Report) healthPage {
	var p healthPage
	hrs := func(sec int64) string { return fmt.Sprintf("%.1f h", float64(sec)/3600) }
	dur := func(s *int64) string {
		if s == nil {
			return "–"
		}
		return (time.Duration(*s) * time.Second).String()
	}
	for _, x := range r.People {
		row := healthPersonRow{Person: x.Person, Team: x.Team, OutOfHours: hrs(x.OnCall.OutOfHours()), Shadow: hrs(x.ShadowSeconds),
			Pages: x.Pages, OOHPages: x.OutOfHoursPages, SleepPages: x.SleepPages, Nights: x.NightsInterrupted,
			Rest: "–", Fairness: fmt.Sprintf("%.2f", x.Fairness)}
		if x.Rest != nil {
			row.Rest, row.RestShort = fmt.Sprintf("%.1f weeks (%s)", x.Rest.Weeks, x.Rest.Role), x.Rest.Short
		}
		p.People = append(p.People, row)
	}
	for _, t := range r.Teams {
		p.Teams = append(p.Teams, healthTeamRow{Team: t.Team, Alerts: t.Alerts, Escalated: t.Escalated, Unacked: t.Unacked,
			AckP50: dur(t.Ack.P50), AckP90: dur(t.Ack.P90), ResolveP50: dur(t.Resolve.P50)})
	}
	p.Warnings = r.Warnings
	return p
}

var healthTmpl = template.Must(template.New("health").Parse(`
<table>
<caption>Per person</caption>
<thead><tr><th scope="col">Person</th><th scope="col">Team</th><th scope="col">Out of hours on call</th><th scope="col">Shadowing</th><th scope="col">Pages</th><th scope="col">Out-of-hours interruptions</th><th scope="col">In sleep hours</th><th scope="col">Nights interrupted</th><th scope="col">Shortest rest</th><th scope="col">Share of out of hours (1 = equal)</th></tr></thead>
<tbody>
{{range .People}}<tr><td>{{.Person}}</td><td>{{.Team}}</td><td>{{.OutOfHours}}</td><td>{{.Shadow}}</td><td>{{.Pages}}</td><td>{{.OOHPages}}</td><td>{{.SleepPages}}</td><td>{{.Nights}}</td><td>{{.Rest}}{{if .RestShort}} <strong>under 3 weeks</strong>{{end}}</td><td>{{.Fairness}}</td></tr>
{{else}}<tr><td colspan="10">Nobody was on call in this range.</td></tr>
{{end}}</tbody>
</table>
<table>
<caption>Per team</caption>
<thead><tr><th scope="col">Team</th><th scope="col">Alerts</th><th scope="col">Time to acknowledge p50 / p90</th><th scope="col">Time to resolve p50</th><th scope="col">Escalated past step 1</th><th scope="col">Acknowledged by nobody</th></tr></thead>
<tbody>
{{range .Teams}}<tr><td>{{.Team}}</td><td>{{.Alerts}}</td><td>{{.AckP50}} / {{.AckP90}}</td><td>{{.ResolveP50}}</td><td>{{.Escalated}}</td><td>{{.Unacked}}</td></tr>
{{end}}</tbody>
</table>
{{if .Warnings}}<h3>Warnings</h3><ul>{{range .Warnings}}<li>{{.Team}}{{if .Person}} / {{.Person}}{{end}}: {{.Msg}} ({{.Rule}})</li>{{end}}</ul>{{end}}
`))
