package report_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/report"
)

// TestTimelineMarkdownAcrossSpringForward: an alert raised at 00:55 GMT on
// Sunday 28 March 2027 escalates at 01:00 GMT, which London calls 02:00
// BST. The local times jump an hour; the durations don't.
func TestTimelineMarkdownAcrossSpringForward(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 28, 0, 55, 0, 0, time.UTC)
	svc, st, r, clk := example(t, at)
	ctx := context.Background()
	res, err := svc.Receive(ctx, "payments", alerts.Event{Action: alerts.Trigger, Summary: "card auth | latency", DedupKey: "k",
		Severity: alerts.SeverityCritical, Source: alerts.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	for step := 0; step == 0; {
		a, err := st.Get(ctx, res.AlertID)
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(a.Esc.Timer)
		if err := svc.TimerFired(ctx, nil, res.AlertID, a.Esc.Timer); err != nil {
			t.Fatal(err)
		}
		if a, err = st.Get(ctx, res.AlertID); err != nil {
			t.Fatal(err)
		}
		step = a.Esc.Step
	}
	pay, _ := r.Team("payments")
	// The week of 22 March 2027 as the example rota has it.
	primary, _ := pay.Schedule.Holder("primary", at)
	secondary, _ := pay.Schedule.Holder("secondary", at)
	sec := secondary.Person
	clk.Advance(3 * time.Minute)
	if _, err := svc.Act(ctx, res.AlertID, escalation.Ack{By: sec}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Minute)
	a, err := svc.Act(ctx, res.AlertID, escalation.Resolve{By: sec})
	if err != nil {
		t.Fatal(err)
	}
	md := report.TimelineMarkdown(a, pay.Location)
	for _, want := range []string{
		"# Alert #" + itoa(a.ID) + `: card auth \| latency` + "\n",
		"| created | 2027-03-28 00:55:00 GMT (2027-03-28 00:55:00Z) |\n",
		"| acknowledged | by " + sec + " at 2027-03-28 02:03:00 BST (2027-03-28 01:03:00Z), 8m00s after the first page |\n",
		"| resolved | by " + sec + " at 2027-03-28 02:33:00 BST (2027-03-28 01:33:00Z), 38m00s after it was created |\n",
		"| escalation | reached step 2 of pass 1 |\n",
		"| 2027-03-28 00:55:00 GMT | 2027-03-28 00:55:00Z | +0s | " + primary.Person + " | primary | 1 | 1 |\n",
		"| 2027-03-28 02:00:00 BST | 2027-03-28 01:00:00Z | +5m00s | " + sec + " | secondary | 1 | 2 |\n",
		"| 2027-03-28 02:03:00 BST | 2027-03-28 01:03:00Z | +8m00s | ack | " + sec + " | acknowledged by " + sec + " |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
