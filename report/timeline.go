package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timefmt"
)

// TimelineMarkdown writes an alert's whole story as Markdown, the start of
// a postmortem: a summary (who acknowledged and resolved it, how long
// each took), who was paged at which step, and every timeline entry, each
// instant in loc (the team's zone) and in UTC with the time since the
// alert was created. It reads nothing but the alert.
func TimelineMarkdown(a *store.Alert, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	e := a.Esc
	local := func(t time.Time) string { return timefmt.PeopleSeconds(t, loc) }
	utc := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
	since := func(t time.Time) string { return "+" + dur(t.Sub(a.CreatedAt)) }

	title := a.Summary
	if a.Drill {
		title = "[DRILL] " + title
	}
	fmt.Fprintf(&b, "# Alert #%d: %s\n\n", a.ID, cell(title))
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("team", cell(a.Team))
	row("status", string(a.Status()))
	urgency := "high urgency"
	if e.Urgency == escalation.Low {
		urgency = "low urgency"
	}
	if a.Severity != "" {
		urgency = cell(a.Severity) + ", " + urgency
	}
	row("severity", urgency)
	row("source", cell(a.Source))
	if a.Drill {
		row("drill", "yes: a dry run, not paid as engaged time")
	}
	row("created", local(a.CreatedAt)+" ("+utc(a.CreatedAt)+")")
	first := firstPage(a)
	if e.AckedBy != "" {
		how := ""
		if !first.IsZero() {
			how = ", " + dur(e.AckedAt.Sub(first)) + " after the first page"
		}
		row("acknowledged", fmt.Sprintf("by %s at %s (%s)%s", cell(e.AckedBy), local(e.AckedAt), utc(e.AckedAt), how))
	} else {
		row("acknowledged", "by nobody")
	}
	if e.ResolvedBy != "" || !e.ResolvedAt.IsZero() {
		row("resolved", fmt.Sprintf("by %s at %s (%s), %s after it was created", cell(e.ResolvedBy), local(e.ResolvedAt), utc(e.ResolvedAt), dur(e.ResolvedAt.Sub(a.CreatedAt))))
	} else {
		row("resolved", "not yet")
	}
	if e.Step > 0 || e.Pass > 0 || e.Exhausted {
		what := fmt.Sprintf("reached step %d of pass %d", e.Step+1, e.Pass+1)
		if e.Exhausted {
			what += "; the policy ran out with nobody acknowledging"
		}
		row("escalation", what)
	}
	if a.Count > 1 {
		row("received", fmt.Sprintf("%d times, last at %s", a.Count, local(a.LastSeenAt)))
	}
	if a.Parent != 0 {
		row("helps with", fmt.Sprintf("alert #%d", a.Parent))
	}
	if a.Major {
		row("major incident", "yes")
	}

	fmt.Fprintf(&b, "\n## Who was paged\n\n")
	if len(a.Pages) == 0 {
		b.WriteString("Nobody was paged.\n")
	} else {
		fmt.Fprintf(&b, "| when (%s) | UTC | since created | who | as | pass | step |\n|---|---|---|---|---|---|---|\n", loc)
		for _, p := range a.Pages {
			as := p.Role
			if as == "" {
				as = "person"
			}
			if p.Shadow {
				as += " (shadow)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %d |\n", local(p.At), utc(p.At), since(p.At), cell(p.Person), cell(as), p.Pass+1, p.Step+1)
		}
	}

	if len(a.Helpers) > 0 {
		fmt.Fprintf(&b, "\n## Pulled in\n\n| when (%s) | UTC | since created | team | as | by | their alert |\n|---|---|---|---|---|---|---|\n", loc)
		for _, h := range a.Helpers {
			as := "help"
			if h.Kind == "commander" {
				as = "incident commander"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | #%d |\n", local(h.At), utc(h.At), since(h.At), cell(h.Team), as, cell(h.By), h.AlertID)
		}
	}

	fmt.Fprintf(&b, "\n## Timeline\n\n| when (%s) | UTC | since created | what | by | |\n|---|---|---|---|---|---|\n", loc)
	for _, t := range a.Timeline {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", local(t.At), utc(t.At), since(t.At), cell(t.Kind), cell(t.By), cell(t.Text))
	}
	return b.String()
}

// firstPage is the first page to someone who may acknowledge (not a
// learning shadow), or zero.
func firstPage(a *store.Alert) time.Time {
	var first time.Time
	for _, p := range a.Pages {
		if !p.Shadow && (first.IsZero() || p.At.Before(first)) {
			first = p.At
		}
	}
	return first
}

// cell makes text safe in a Markdown table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s)
	return s
}

// dur is a duration for people, to the second: 45s, 3m05s, 1h02m00s.
func dur(d time.Duration) string {
	if d < 0 {
		return "-" + dur(-d)
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}
