package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/timesheet"
)

// docFiles are the pages whose examples are run.
var docFiles = []string{"../../README.md", "../../docs/rota-format.md", "../../docs/email.md",
	"../../docs/pay-report.md", "../../docs/deploy.md", "../../docs/twilio.md"}

// offline are the commands a docs example may run here: they read files
// and need no daemon.
var offline = map[string]bool{"check": true, "who": true, "shifts": true, "route-test": true}

// example is one command from a page, with the output the page shows.
type example struct {
	where     string   // file:line
	args      []string // after "pagerd"
	output    []string // nil: not shown, only the exit code is checked
	exit      int      // from a following "$ echo $?"
	exitShown bool
	shown     bool // output was shown (possibly empty)
	shExmpl   bool // from a sh block: only run, output not shown
}

// fence is a fenced code block: its info string, first line and lines,
// with the fence's indentation removed.
type fence struct {
	info  string
	line  int
	lines []string
}

func fences(t *testing.T, path string) []fence {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []fence
	var cur *fence
	indent := ""
	for i, l := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(l, " ")
		if strings.HasPrefix(trimmed, "```") {
			if cur == nil {
				indent = l[:len(l)-len(trimmed)]
				cur = &fence{info: strings.TrimPrefix(trimmed, "```"), line: i + 2}
			} else {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, strings.TrimPrefix(l, indent))
		}
	}
	return out
}

// splitArgs splits a shell command line: spaces, "double" and 'single'
// quotes, and a # comment.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == '#' && !in:
			return args, nil
		case c == ' ' || c == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", s)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}

var pagerdCmd = regexp.MustCompile(`^(?:\$ )?(?:\./)?pagerd (\S+)`)

// examples finds every offline pagerd command in a page: "$ pagerd ..."
// lines with the output under them, and commands in sh blocks.
func examples(t *testing.T, path string) []example {
	t.Helper()
	var out []example
	for _, f := range fences(t, path) {
		sh := f.info == "sh" || f.info == "bash"
		var cur *example
		flush := func() {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		}
		for i, l := range f.lines {
			where := fmt.Sprintf("%s:%d", filepath.Base(path), f.line+i)
			if l == "$ echo $?" && i+1 < len(f.lines) && cur != nil {
				fmt.Sscanf(f.lines[i+1], "%d", &cur.exit)
				cur.exitShown = true
				flush()
				break
			}
			m := pagerdCmd.FindStringSubmatch(l)
			if m != nil && (sh || strings.HasPrefix(l, "$ ")) {
				flush()
				if !offline[m[1]] {
					continue
				}
				args, err := splitArgs(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(l, "$ "), "./"), "pagerd "))
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				cur = &example{where: where, args: args, shExmpl: sh}
				continue
			}
			if strings.HasPrefix(l, "$ ") {
				flush()
				continue
			}
			if cur != nil && !sh {
				cur.output = append(cur.output, l)
				cur.shown = true
			}
		}
		flush()
	}
	return out
}

// matches reports whether got has the want lines in order, consecutive
// except where want has a "..." line (any lines, or none).
func matches(got, want []string) bool {
	for len(want) > 0 && strings.TrimSpace(want[len(want)-1]) == "" {
		want = want[:len(want)-1]
	}
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "..." {
		for i := 0; i <= len(got); i++ {
			if matches(got[i:], want[1:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && strings.TrimRight(got[0], " ") == strings.TrimRight(want[0], " ") && matches(got[1:], want[1:])
}

// docsNow is the "now" the docs' examples are written at: the week of
// the example rota's override.
func docsNow() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

// Issue 18: the README's and the docs' examples of pagerd check, who,
// shifts and route-test are run against the repository's files, and
// their output is the output the pages show. Nothing can drift again
// (an example such as "--to 2026-12-07 [--json]" fails if copied).
func TestDocsExamplesRun(t *testing.T) {
	t.Parallel()
	n := 0
	for _, path := range docFiles {
		for _, ex := range examples(t, path) {
			n++
			args := make([]string, len(ex.args))
			for i, a := range ex.args {
				args[i] = a
				if _, err := os.Stat("../../" + a); err == nil && !strings.HasPrefix(a, "-") {
					args[i] = "../../" + a // a path from the repository's root
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr, docsNow)
			// The exit code is the one "$ echo $?" shows; a command shown
			// without output, or in a sh block, must succeed.
			if code != ex.exit && (ex.exitShown || !ex.shown) {
				t.Errorf("%s: pagerd %s: exit %d, the page says %d\n%s%s", ex.where, strings.Join(ex.args, " "), code, ex.exit, stderr.String(), stdout.String())
				continue
			}
			if !ex.shown {
				continue
			}
			out := strings.ReplaceAll(stderr.String()+stdout.String(), "../../", "")
			got := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if !matches(got, ex.output) {
				t.Errorf("%s: pagerd %s prints\n%s\nbut the page shows\n%s", ex.where, strings.Join(ex.args, " "), strings.Join(got, "\n"), strings.Join(ex.output, "\n"))
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d examples found: is the parser right?", n)
	}
}

// Issue 18, finding 9: each example team file's opening comment says when
// its primary hands off ("handoff Monday 09:00 local", "handoffs Monday
// and Thursday at 10:00 local"), and the rule agrees.
func TestExampleCommentsSayTheRealHandoffs(t *testing.T) {
	t.Parallel()
	r, _, err := rotafile.LoadDir("../../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	said := regexp.MustCompile(`handoffs? (?:on )?((?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day(?:(?:, | and )(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)*) (?:at )?(\d\d:\d\d) local`)
	for _, tm := range r.Teams {
		data, err := os.ReadFile(filepath.Join("../../configs/example", tm.ID+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var head strings.Builder
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(l, "#") {
				break
			}
			head.WriteString(strings.TrimSpace(strings.TrimPrefix(l, "#")) + " ")
		}
		m := said.FindStringSubmatch(head.String())
		if m == nil {
			t.Errorf("%s.yaml: the opening comment does not say when the primary hands off: %q", tm.ID, head.String())
			continue
		}
		days := map[string]bool{}
		for _, d := range regexp.MustCompile(`[A-Z][a-z]+day`).FindAllString(m[1], -1) {
			days[d] = true
		}
		from := time.Date(2027, 1, 11, 0, 0, 0, 0, tm.Location)
		seen := map[string]bool{}
		for _, s := range tm.Schedule.RoleShifts("primary", from, from.AddDate(0, 0, 28)) {
			if s.Source != rotation.SourceRotation || s.Start.Equal(from) {
				continue
			}
			local := s.Start.In(tm.Location)
			seen[local.Weekday().String()] = true
			if !days[local.Weekday().String()] || local.Format("15:04") != m[2] {
				t.Errorf("%s.yaml says %q, but primary hands off %s", tm.ID, m[0], local.Format("Monday 15:04"))
			}
		}
		if len(seen) != len(days) {
			t.Errorf("%s.yaml says %q; handoffs fall on %v", tm.ID, m[0], seen)
		}
	}
}

// The pay report's documented CSV has the header the report writes, and
// every row has its columns.
func TestDocumentedCSVIsTheReportsShape(t *testing.T) {
	t.Parallel()
	header := strings.Join(timesheet.Records(nil)[0], ",")
	found := false
	for _, f := range fences(t, "../../docs/pay-report.md") {
		if len(f.lines) == 0 || !strings.HasPrefix(f.lines[0], "person,") {
			continue
		}
		found = true
		if f.lines[0] != header {
			t.Errorf("pay-report.md:%d: header %q, the report writes %q", f.line, f.lines[0], header)
		}
		cols := regexp.MustCompile(`^[a-z]+,[a-z]+,((standby|shadow|engaged|cap),(business|weekday_out_of_hours|weekend|holiday|),\d+,-?\d+\.\d\d,[A-Z]{3}|toil,(holiday_engaged|sleep_interruption|correction),-?\d+,,)$`)
		for i, l := range f.lines[1:] {
			if l != "" && !cols.MatchString(l) {
				t.Errorf("pay-report.md:%d: %q is not a report row", f.line+1+i, l)
			}
		}
	}
	if !found {
		t.Error("pay-report.md shows no CSV")
	}
}
