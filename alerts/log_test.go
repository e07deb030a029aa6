package alerts

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/store"
)

func TestLogTransitionOncePerChange(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	trig := escalation.State{Status: escalation.StatusTriggered}
	for _, c := range []struct {
		before, after escalation.State
		want          string
	}{
		{trig, escalation.State{Status: escalation.StatusAcknowledged, AckedBy: "alice"}, `msg="alert acknowledged" alert=7 team=ops by=alice`},
		{trig, escalation.State{Status: escalation.StatusResolved, ResolvedBy: "bob"}, `msg="alert resolved" alert=7 team=ops by=bob`},
		{trig, escalation.State{Status: escalation.StatusTriggered, Step: 1}, `msg="alert escalated" alert=7 team=ops step=2 pass=1`},
		{trig, escalation.State{Status: escalation.StatusTriggered, Exhausted: true}, `msg="alert exhausted its escalation policy`},
		{trig, trig, ""},
	} {
		buf.Reset()
		logTransition(log, c.before, &store.Alert{ID: 7, Team: "ops", Esc: c.after})
		if c.want == "" && buf.Len() != 0 || !strings.Contains(buf.String(), c.want) || strings.Count(buf.String(), "\n") > 1 {
			t.Errorf("%+v -> %+v: logged %q, want %q", c.before, c.after, buf.String(), c.want)
		}
	}
}
