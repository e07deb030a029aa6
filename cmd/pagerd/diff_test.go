package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/rotadiff"
)

// copyExample copies configs/example into a new temp dir (as dir/name) and
// returns the copy's path.
func copyExample(t *testing.T, dir, name string) string {
	t.Helper()
	dst := filepath.Join(dir, name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "../../configs/example"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The acceptance test for edits: override add on the example changes one
// line of one file, every comment and every other byte staying put, and
// prints the shift diff; an edit that would not pass check changes nothing.
func TestOverrideAddOnTheExample(t *testing.T) {
	dir := copyExample(t, t.TempDir(), "rota")
	file := filepath.Join(dir, "payments.yaml")
	before := readFile(t, file)
	others := map[string]string{}
	for _, f := range []string{"people.yaml", "platform.yaml", "data.yaml"} {
		others[f] = readFile(t, filepath.Join(dir, f))
	}

	code, out, errs := runCLI("override", "add", dir, "--team", "payments", "--role", "primary", "--person", "carol",
		"--from", "2026-12-01 14:00", "--until", "2026-12-01 16:00", "--note", "covering alice: dentist")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	after := readFile(t, file)
	newLine := `  - {role: primary, person: carol, from: 2026-12-01T14:00, until: 2026-12-01T16:00, note: "covering alice: dentist"}` + "\n"
	i := strings.Index(after, newLine)
	if i < 0 || after[:i]+after[i+len(newLine):] != before {
		t.Fatalf("payments.yaml is not the old file plus the override line:\n%s", after)
	}
	if !strings.HasSuffix(after[:i], `note: "covering dave (school play)"}`+"\n") {
		t.Errorf("the override should follow the existing one")
	}
	for f, data := range others {
		if readFile(t, filepath.Join(dir, f)) != data {
			t.Errorf("%s changed", f)
		}
	}
	if !strings.Contains(errs, "payments.yaml: carol holds primary of team payments from 2026-12-01 14:00 GMT until 2026-12-01 16:00 GMT") {
		t.Errorf("stderr = %q", errs)
	}
	for _, want := range []string{
		"payments (Europe/London): changed, Sun 2026-11-22 12:00 GMT to Sun 2027-02-14 12:00 GMT",
		"primary  Tue 2026-12-01 14:00 GMT  Tue 2026-12-01 16:00 GMT  2h  alice -> carol",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runCLI("check", dir); code != 0 {
		t.Errorf("check after the edit: exit %d", code)
	}

	// Overlapping the new override: refused, file untouched, no leftovers.
	code, _, errs = runCLI("override", "add", dir, "--team", "payments", "--role", "primary", "--person", "dave",
		"--from", "2026-12-01 15:00", "--until", "2026-12-01 17:00")
	if code != 1 || !strings.Contains(errs, "overlaps the override for carol") || !strings.Contains(errs, "refused") {
		t.Errorf("overlap: exit %d\n%s", code, errs)
	}
	if readFile(t, file) != after {
		t.Error("a refused edit changed the file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 4 {
		t.Errorf("files in the rota: %d, want 4 (no temporary files left)", len(ents))
	}

	// A dry run prints the diff and writes nothing.
	code, out, _ = runCLI("override", "remove", dir, "--team", "payments", "--role", "primary", "--from", "2026-12-01 14:00", "--dry-run", "--format", "json")
	if code != 0 || readFile(t, file) != after {
		t.Fatalf("dry run: exit %d, file changed: %v", code, readFile(t, file) != after)
	}
	var rep rotadiff.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Teams) != 1 || len(rep.Teams[0].Shifts) != 1 || rep.Teams[0].Shifts[0].New != "alice" {
		t.Errorf("dry-run diff: %v\n%s", err, out)
	}
	// And for real: back to the original, byte for byte.
	if code, _, errs := runCLI("override", "remove", dir, "--team", "payments", "--role", "primary", "--from", "2026-12-01 14:00"); code != 0 {
		t.Fatalf("remove: exit %d\n%s", code, errs)
	}
	if readFile(t, file) != before {
		t.Errorf("add then remove is not the original file")
	}
}

func TestEditCommands(t *testing.T) {
	dir := copyExample(t, t.TempDir(), "rota")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"shadow", "add", dir, "--team", "platform", "--role", "primary", "--person", "mallory", "--from", "2026-12-07T10:00", "--until", "2026-12-21T10:00"}, 0, "+ mallory"},
		{[]string{"shadow", "remove", dir, "--team", "platform", "--role", "primary", "--person", "mallory", "--from", "2026-12-07T10:00"}, 0, "- mallory"},
		{[]string{"member", "add", dir, "--team", "data", "--role", "primary", "--person", "alice", "--from", "2026-12-02T08:30", "--format", "markdown"}, 0, "| alice |"},
		{[]string{"member", "remove", dir, "--team", "data", "--role", "primary", "--person", "alice", "--from", "2026-12-02T08:30"}, 0, "alice -> "},
		// Refusals and usage errors.
		{[]string{"member", "add", dir, "--team", "data", "--role", "secondary", "--person", "alice", "--from", "2026-12-02T08:30"}, 1, `follows "primary"`},
		{[]string{"override", "add", dir, "--team", "data", "--role", "primary", "--person", "zed", "--from", "2026-12-02", "--until", "2026-12-03"}, 1, `override "zed" is not a person in the rota`},
		{[]string{"override", "add", dir, "--team", "nope", "--role", "primary", "--person", "alice", "--from", "2026-12-02", "--until", "2026-12-03"}, 1, "teams: data, payments, platform"},
		{[]string{"override", "add", dir, "--team", "data", "--role", "primary", "--person", "alice", "--from", "2026-12-02"}, 2, "--until is required"},
		{[]string{"override", "add", dir, "--team", "data", "--role", "primary", "--person", "alice", "--from", "2026-12-03", "--until", "2026-12-02"}, 2, "--until must be after --from"},
		{[]string{"override", "add", dir, "--team", "data", "--role", "primary", "--person", "alice", "--from", "soon", "--until", "2026-12-02"}, 2, "is not a time"},
		{[]string{"override", "frob", dir}, 2, "Usage: pagerd override add"},
		{[]string{"member", "add", dir, "--team", "data", "--role", "primary", "--person", "alice", "--from", "2026-12-02", "--format", "xml"}, 2, "want text, markdown or json"},
	} {
		code, out, errs := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("pagerd %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errs)
		}
	}
	if code, _, errs := runCLI("check", dir); code != 0 {
		t.Errorf("check after the edits: exit %d\n%s", code, errs)
	}
	if readFile(t, filepath.Join(dir, "platform.yaml")) != readFile(t, "../../configs/example/platform.yaml") {
		t.Errorf("platform.yaml: shadow add then remove is not the original file")
	}
	// Adding and removing alice leaves data a members change that moves
	// nobody.
	if code, out, _ := runCLI("diff", "../../configs/example", dir, "--team", "data"); code != 0 || !strings.HasPrefix(out, "No shift moves") {
		t.Errorf("data after member add and remove: exit %d\n%s", code, out)
	}
}

func TestDiffTwoDirectories(t *testing.T) {
	tmp := t.TempDir()
	old, new := copyExample(t, tmp, "old"), copyExample(t, tmp, "new")
	// Drop dave from payments from 7 Dec: he is on the rota until then.
	if code, _, errs := runCLI("member", "remove", new, "--team", "payments", "--role", "primary", "--person", "dave", "--from", "2026-12-07T09:00"); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := runCLI("diff", old, new, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rep rotadiff.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, tm := range rep.Teams {
		status[tm.ID] = tm.Status
		if tm.ID != "payments" {
			continue
		}
		for _, p := range tm.People {
			if p.Person == "dave" && p.Standby.Total() >= 0 {
				t.Errorf("dave should lose hours: %+v", p)
			}
		}
		for _, s := range tm.Shifts {
			if s.Start.Before(fixedNow().AddDate(0, 0, 14)) {
				t.Errorf("a shift before 7 Dec changed: %+v", s)
			}
		}
	}
	if status["payments"] != "changed" || status["platform"] != "unchanged" || status["data"] != "unchanged" {
		t.Errorf("statuses = %v", status)
	}

	// The same rota: one line.
	code, out, _ = runCLI("diff", old, old)
	if code != 0 || out != "No shift moves: 3 team(s) compared from 2026-11-22 23:00 AEDT to 2027-02-14 23:00 AEDT.\n" {
		t.Errorf("same rota: exit %d, %q, want one line", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diff", old}, 2, "want two rota directories"},
		{[]string{"diff", old, new, "--from", "2027-01-01", "--to", "2026-12-01"}, 2, "--to must be after --from"},
		{[]string{"diff", old, new, "--format", "html"}, 2, "want text, markdown or json"},
		{[]string{"diff", old, "../../rotafile/testdata/broken"}, 1, "has 7 error(s)"},
		{[]string{"diff", old, new, "--team", "nope"}, 1, `team "nope" is in neither version`},
		{[]string{"diff", "--git", "HEAD", old}, 1, "is not in a git repository"},
	} {
		code, _, errs := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("pagerd %s: exit %d (want %d), stderr lacks %q:\n%s", strings.Join(tc.args, " "), code, tc.code, tc.want, errs)
		}
	}
}

// pagerd diff --git REV DIR in a repository made by the test: the change
// a pull request would make, as its Markdown comment.
func TestDiffGit(t *testing.T) {
	root := t.TempDir()
	dir := copyExample(t, root, "configs/rota")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "rota")

	if code, out, _ := runCLI("diff", "--git", "HEAD", dir); code != 0 || !strings.HasPrefix(out, "No shift moves") {
		t.Errorf("unchanged: exit %d, %q", code, out)
	}
	// A swap of secondary weeks: ivan has 7 Dec, mallory 14 Dec.
	for _, args := range [][]string{
		{"--person", "mallory", "--from", "2026-12-07T10:00", "--until", "2026-12-14T10:00"},
		{"--person", "ivan", "--from", "2026-12-14T10:00", "--until", "2026-12-21T10:00"},
	} {
		if code, _, errs := runCLI(append([]string{"override", "add", dir, "--team", "platform", "--role", "secondary"}, args...)...); code != 0 {
			t.Fatalf("override add: %s", errs)
		}
	}
	code, out, errs := runCLI("diff", "--git", "HEAD", dir, "--format", "markdown")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		"#### platform (changed)",
		"| secondary | Mon 2026-12-07 10:00 EST | Mon 2026-12-14 10:00 EST | 168h | ivan | mallory |",
		"| secondary | Mon 2026-12-14 10:00 EST | Mon 2026-12-21 10:00 EST | 168h | mallory | ivan |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "payments") || strings.Contains(out, "#### data") {
		t.Errorf("unchanged teams shown:\n%s", out)
	}
	if code, _, errs := runCLI("diff", "--git", "no-such-rev", dir); code != 1 || !strings.Contains(errs, `"no-such-rev" is not a revision`) {
		t.Errorf("unknown revision: exit %d, %s", code, errs)
	}
}
