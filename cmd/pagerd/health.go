package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
)

// cmdHealth prints the on-call health report for a period from a running
// daemon (docs/health.md).
func cmdHealth(args []string, stdout, stderr io.Writer) int {
	r, code := fetchReport("health", "only this person's rows (shares are still of their whole team)", "/api/v1/reports/health", args, stdout, stderr)
	if r == nil {
		return code
	}
	var out api.HealthReport
	if err := r.c.do("GET", "/api/v1/reports/health?"+r.q.Encode(), nil, &out); err != nil {
		fmt.Fprintf(stderr, "pagerd health: %v\n", err)
		return 1
	}
	if r.format == "json" {
		return printJSON(stdout, out)
	}
	printHealth(stdout, out)
	return 0
}

// printHealth lays the report out as three tables: people, teams,
// warnings. Hours are h:mm; ack and resolve times are rounded to the
// second.
func printHealth(w io.Writer, r api.HealthReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PERSON\tTEAM\tBUSINESS\tWEEKDAY-OOH\tWEEKEND\tHOLIDAY\tSHADOW\tPAGES\tOOH\tSLEEP\tNIGHTS\tACK-P50\tACK-P90\tDRILLS\tREST\tOOH-SHARE\tFAIRNESS\t")
	for _, row := range r.People {
		p := row.Person
		rest := "-"
		if row.Rest != nil {
			rest = fmt.Sprintf("%gw", row.Rest.Weeks)
			if row.Rest.Short {
				rest += "!"
			}
		}
		share, fair := "-", "-"
		if p.EqualShare > 0 {
			share, fair = fmt.Sprintf("%.0f%% of %.0f%%", 100*p.OutOfHoursShare, 100*p.EqualShare), fmt.Sprintf("%.2f", p.Fairness)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\t%s\t\n",
			p.Person, p.Team, hm(p.OnCall.Business), hm(p.OnCall.WeekdayOutOfHours), hm(p.OnCall.Weekend), hm(p.OnCall.Holiday), hm(p.ShadowSeconds),
			p.Pages, p.OutOfHoursPages, p.SleepPages, p.NightsInterrupted, secs(p.Ack.P50), secs(p.Ack.P90), p.Drills, rest,
			share, fair)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TEAM\tALERTS\tACK-P50\tACK-P90\tRESOLVE-P50\tRESOLVE-P90\tESCALATED\tUNACKED\tDRILLS\tDRILL-ACK-P50\t")
	for _, t := range r.Teams {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t\n", t.Team, t.Alerts, secs(t.Ack.P50), secs(t.Ack.P90),
			secs(t.Resolve.P50), secs(t.Resolve.P90), t.Escalated, t.Unacked, t.Drills, secs(t.DrillAck.P50))
	}
	tw.Flush()
	for _, wn := range r.Warnings {
		who := wn.Team
		if wn.Person != "" {
			who += " " + wn.Person
		}
		fmt.Fprintf(w, "warning (%s) %s: %s\n", wn.Rule, who, wn.Msg)
	}
	if len(r.Warnings) == 0 {
		fmt.Fprintln(w, "no warnings")
	}
}

// hm is seconds as h:mm, rounded to the minute.
func hm(sec int64) string {
	m := (sec + 30) / 60
	return fmt.Sprintf("%d:%02d", m/60, m%60)
}

// secs is a percentile as a short duration, or "-" when there is none.
func secs(p *int64) string {
	if p == nil {
		return "-"
	}
	return (time.Duration(*p) * time.Second).String()
}
