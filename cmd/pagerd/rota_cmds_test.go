package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/rotation"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb, fixedNow)
	return code, out.String(), errb.String()
}

func TestCheckExample(t *testing.T) {
	code, out, errs := runCLI("check", "../../configs/example")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if !strings.Contains(out, "ok: 3 team(s), 15 people, 0 warning(s)") {
		t.Errorf("stdout = %q", out)
	}
}

func TestCheckBrokenListsAllErrorsAndExits1(t *testing.T) {
	code, _, errs := runCLI("check", "../../rotafile/testdata/broken")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"rotafile/testdata/broken/ops.yaml:5:27: error: member \"carl\" is not a person",
		"rotafile/testdata/broken/ops.yaml:6:14: error:",
		"rotafile/testdata/broken/ops.yaml:10:27: error: unknown key \"ack_timout\"",
		"rotafile/testdata/broken/people.yaml:8:15: error: timezone \"Europe/Lndon\"",
		"rotafile/testdata/broken/people.yaml:9:21: error: sms number \"07700 900002\" is not an E.164",
		"rotafile/testdata/broken/people.yaml:14:5: error: unknown key \"notfy\"",
		"rotafile/testdata/broken/web.yaml:2:11: error: timezone \"Mars/Olympus_Mons\"",
		"7 error(s), 1 warning(s)",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestCheckUsageErrors(t *testing.T) {
	if code, _, _ := runCLI("check"); code != 3 {
		t.Errorf("check without dir: exit %d, want 3", code)
	}
	if code, _, errs := runCLI("check", t.TempDir()); code != 1 || !strings.Contains(errs, "no .yaml") {
		t.Errorf("check empty dir: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

func TestWho(t *testing.T) {
	// Flags after the directory work too.
	code, out, errs := runCLI("who", "../../configs/example", "--team", "payments", "--at", "2026-11-24 20:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"payments  primary           bob     2026-11-24 18:00 GMT  2026-11-25 09:00 GMT  override: covering dave (school play)",
		"payments  primary (shadow)  erin    2026-11-16 00:00 GMT  2026-12-14 00:00 GMT  shadow",
		"payments  secondary         alice   2026-11-23 09:00 GMT  2026-11-30 09:00 GMT  rotation",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("who lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI("who", "--json", "--team", "platform", "../../configs/example")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rows []struct{ Team, Role, Person string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	// 22 Nov 2026 12:00 UTC is Sunday 07:00 in New York: Thursday's 10:00
	// handoff gave primary to heidi (Mon/Thu handoffs from 5 Oct), and the
	// Monday 16 Nov secondary handoff to mallory.
	got := map[string]string{}
	for _, r := range rows {
		got[r.Role] = r.Person
	}
	if got["primary"] != "heidi" || got["secondary"] != "mallory" {
		t.Errorf("platform on call = %v", got)
	}
	if code, _, errs := runCLI("who", "../../configs/example", "--team", "nope"); code != 1 || !strings.Contains(errs, "teams: data, payments, platform") {
		t.Errorf("unknown team: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI("who", "../../configs/example", "--at", "soonish"); code != 2 || !strings.Contains(errs, "is not a time") {
		t.Errorf("bad --at: exit %d, %q", code, errs)
	}
}

func TestShiftsJSON(t *testing.T) {
	code, out, errs := runCLI("shifts", "../../configs/example", "--team", "payments", "--from", "2026-11-23", "--to", "2026-12-01", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var shifts []api.OnCallRow
	if err := json.Unmarshal([]byte(out), &shifts); err != nil {
		t.Fatal(err)
	}
	type key struct{ role, person, start string }
	var got []key
	for _, s := range shifts {
		got = append(got, key{s.Role, *s.Person, s.Since.UTC().Format("01-02 15:04")})
	}
	want := []key{
		{"primary", "carol", "11-23 00:00"},
		{"primary", "dave", "11-23 09:00"},
		{"primary", "bob", "11-24 18:00"},
		{"primary", "dave", "11-25 09:00"},
		{"primary", "alice", "11-30 09:00"},
		{"secondary", "dave", "11-23 00:00"},
		{"secondary", "alice", "11-23 09:00"},
		{"secondary", "bob", "11-30 09:00"},
		{"primary", "erin", "11-23 00:00"},
	}
	if len(got) != len(want) {
		t.Fatalf("shifts = %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("shift %d = %v, want %v", i, got[i], want[i])
		}
	}
	if *shifts[2].Source != string(rotation.SourceOverride) || *shifts[8].Source != string(rotation.SourceShadow) || !shifts[8].Shadow {
		t.Errorf("sources = %s, %s", *shifts[2].Source, *shifts[8].Source)
	}
	if code, _, _ := runCLI("shifts", "../../configs/example"); code != 2 {
		t.Errorf("shifts without --team: exit %d, want 2", code)
	}
	if code, _, _ := runCLI("shifts", "../../configs/example", "--team", "payments", "--from", "2026-12-01", "--to", "2026-11-01"); code != 2 {
		t.Errorf("backwards interval: exit %d, want 2", code)
	}
}
