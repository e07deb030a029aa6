package rotafile

import (
	"slices"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/escalation"
)

func TestUrgencyLoads(t *testing.T) {
	team := goodTeam + `urgency:
  high: [critical, error]
  low_out_of_hours: sms
  alertmanager_label: priority
routes:
  - email: {from: '^nagios@'}
    severity: warning
`
	r, diags := Load(files(team))
	if r == nil || len(diags) != 0 {
		t.Fatalf("diags: %v", diags)
	}
	ops, _ := r.Team("ops")
	u := ops.Urgency
	if u == nil || !slices.Equal(u.High, []string{"critical", "error"}) || u.OutOfHours != LowSMS || u.AlertmanagerLabel != "priority" {
		t.Fatalf("urgency %+v", u)
	}
	if !ops.IsHigh("error") || ops.IsHigh("warning") {
		t.Errorf("IsHigh")
	}
	if low := ops.Escalation.Low; low.Hold || !slices.Equal(low.Methods, []escalation.Method{"sms"}) {
		t.Errorf("policy low %+v", low)
	}
	if ops.Routes[0].Severity != "warning" {
		t.Errorf("route severity %q", ops.Routes[0].Severity)
	}

	// Defaults: wait, the severity label; no block: all high; next step at once.
	r, _ = Load(files(strings.Replace(goodTeam, "escalation:\n", "escalation:\n  unreachable: wait\n", 1) + "urgency: {high: critical}\n"))
	ops, _ = r.Team("ops")
	if ops.Urgency.OutOfHours != LowWait || ops.Urgency.AlertmanagerLabel != "severity" || !ops.Escalation.Low.Hold || !ops.Escalation.WaitForTimeout {
		t.Errorf("defaults: %+v %+v", ops.Urgency, ops.Escalation)
	}
	r, _ = Load(files(goodTeam))
	ops, _ = r.Team("ops")
	if ops.Urgency != nil || !ops.IsHigh("info") || ops.Escalation.WaitForTimeout || ops.Escalation.Low.Hold {
		t.Errorf("no urgency block: %+v %+v", ops.Urgency, ops.Escalation)
	}
}

func TestUrgencyErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		team string
		want []want
	}{
		{"severity typo", goodTeam + "urgency:\n  high: [critical, warnign]\n", []want{
			{"team.yaml", 15, 20, `"warnign" is not a severity`, `did you mean "warning"?`},
		}},
		{"high missing", goodTeam + "urgency:\n  low_out_of_hours: wait\n", []want{
			{"team.yaml", 15, 3, `urgency needs "high"`, "high: [critical, error]"},
		}},
		{"unknown behaviour", goodTeam + "urgency:\n  high: critical\n  low_out_of_hours: call\n", []want{
			{"team.yaml", 16, 21, `low_out_of_hours "call" is not one of wait`, "use one of wait, sms"},
		}},
		{"repeat", goodTeam + "urgency:\n  high: [error, error]\n", []want{
			{"team.yaml", 15, 17, "error is listed twice", "delete the repeat"},
		}},
		{"label", goodTeam + "urgency:\n  high: critical\n  alertmanager_label: 1sev\n", []want{
			{"team.yaml", 16, 23, `alertmanager_label "1sev" is not a label name`, "Prometheus label name"},
		}},
		{"key typo", goodTeam + "urgency:\n  high: critical\n  low_out_of_hour: sms\n", []want{
			{"team.yaml", 16, 3, `unknown key "low_out_of_hour"`, `did you mean "low_out_of_hours"?`},
		}},
		{"all high", goodTeam + "urgency:\n  high: [critical, error, warning, info]\n", []want{
			{"team.yaml", 15, 3, "every severity is high urgency", ""},
		}},
		{"unreachable", strings.Replace(goodTeam, "escalation:\n", "escalation:\n  unreachable: wiat\n", 1), []want{
			{"team.yaml", 11, 16, `unreachable "wiat" is not one of next_step, wait`, `did you mean "wait"?`},
		}},
		{"severity on http route", goodTeam + "routes:\n  - {http: {key_env: K}, severity: info}\n", []want{
			{"team.yaml", 15, 26, "severity only goes with an email route", "HTTP alerts carry their own severity"},
		}},
		{"route severity", goodTeam + "routes:\n  - {email: {from: x}, severity: low}\n", []want{
			{"team.yaml", 15, 34, `"low" is not a severity`, ""},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Load(files(c.team))
			checkDiags(t, diags, c.want)
		})
	}
}
