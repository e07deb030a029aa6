package rotafile

import (
	"strings"
	"testing"
	"time"
)

func TestSleepHoursLoad(t *testing.T) {
	r, diags := Load(files(goodTeam + "health:\n  sleep_hours: {start: \"23:30\", end: \"07:00\"}\n"))
	if r == nil || len(diags) != 0 {
		t.Fatalf("diags: %v", diags)
	}
	ops, _ := r.Team("ops")
	if ops.SleepStart != 23*time.Hour+30*time.Minute || ops.SleepEnd != 7*time.Hour {
		t.Errorf("sleep hours %v-%v", ops.SleepStart, ops.SleepEnd)
	}
	r, _ = Load(files(goodTeam))
	ops, _ = r.Team("ops")
	if ops.SleepStart != 0 || ops.SleepEnd != 0 {
		t.Errorf("no block: %v-%v, want zero (the defaults)", ops.SleepStart, ops.SleepEnd)
	}
	for _, c := range []struct{ yaml, msg string }{
		{"health:\n  sleep_hours: {start: \"22:00\", end: \"22:00\"}\n", "sleep_hours 22:00 to 22:00 is not a stretch of the day"},
		{"health:\n  sleep_hours: {start: \"10pm\", end: \"08:00\"}\n", `start "10pm" is not a time of day`},
		{"health:\n  sleep: {start: \"22:00\"}\n", "sleep"},
	} {
		_, diags := Load(files(goodTeam + c.yaml))
		if len(diags.Errors()) == 0 || !strings.Contains(diags.Errors()[0].Msg, c.msg) {
			t.Errorf("%q: %v, want an error with %q", c.yaml, diags, c.msg)
		}
	}
}
