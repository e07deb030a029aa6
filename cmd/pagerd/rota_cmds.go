package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/timefmt"
)

// parseInterleaved parses flags that may come before or after positional
// arguments ("pagerd who DIR --team T" and "pagerd who --team T DIR").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: pagerd %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// oneDir takes the rota directory argument.
func oneDir(fs *flag.FlagSet, pos []string, stderr io.Writer) (string, bool) {
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "pagerd %s: want exactly one rota directory, got %d arguments\n", fs.Name(), len(pos))
		fs.Usage()
		return "", false
	}
	return pos[0], true
}

// loadRota loads a directory and prints its diagnostics; it returns nil when
// the rota has errors.
func loadRota(dir string, stderr io.Writer) *rotafile.Rota {
	r, diags, err := rotafile.LoadDir(dir)
	var le *rotafile.LoadError
	if err != nil && !errors.As(err, &le) {
		fmt.Fprintf(stderr, "pagerd: %v\n", err)
		return nil
	}
	if err != nil {
		for _, d := range diags {
			fmt.Fprintln(stderr, d)
		}
		fmt.Fprintf(stderr, "%s: %d error(s); run pagerd check %s\n", dir, len(diags.Errors()), dir)
		return nil
	}
	return r
}

// Exit codes of pagerd check, documented in docs/rota-ci.md.
const (
	checkOK       = 0
	checkErrors   = 1 // the rota has errors, or can't be read
	checkWarnings = 2 // warnings only, with --strict
	checkUsage    = 3
)

func cmdCheck(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := newFlagSet("check", "check DIR [--format text|json|github|sarif] [--strict]", stderr)
	format := fs.String("format", "text", "output: text (for people), json, github (Actions annotations) or sarif (SARIF 2.1.0)")
	strict := fs.Bool("strict", false, "exit 2 when there are warnings but no errors")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return checkOK
	}
	if err != nil {
		return checkUsage
	}
	dir, ok := oneDir(fs, pos, stderr)
	if !ok {
		return checkUsage
	}
	switch *format {
	case "text", "json", "github", "sarif":
	default:
		fmt.Fprintf(stderr, "pagerd check: --format %q: want text, json, github or sarif\n", *format)
		return checkUsage
	}
	r, diags, err := rotafile.LoadDir(dir)
	var le *rotafile.LoadError
	var readErr error
	if err != nil && !errors.As(err, &le) {
		readErr = err
	}
	if r != nil {
		diags = append(diags, rotafile.Health(r, now())...)
	}
	nErr, nWarn := len(diags.Errors()), len(diags.Warnings())
	code := checkOK
	switch {
	case readErr != nil || nErr > 0:
		code = checkErrors
	case *strict && nWarn > 0:
		code = checkWarnings
	}
	summary := fmt.Sprintf("%s: %d error(s), %d warning(s)", dir, nErr, nWarn)
	switch {
	case readErr != nil:
		summary = fmt.Sprintf("pagerd check: %v", readErr)
	case code == checkOK:
		summary = fmt.Sprintf("%s: ok: %d team(s), %d people, %d warning(s)", dir, len(r.Teams), len(r.People), nWarn)
	case code == checkWarnings:
		summary += " (--strict: warnings fail the check)"
	}

	var werr error
	switch *format {
	case "text":
		for _, d := range diags {
			fmt.Fprintln(stderr, d)
		}
		if code == checkOK {
			_, werr = fmt.Fprintln(stdout, summary)
		} else {
			fmt.Fprintln(stderr, summary)
		}
	case "github":
		if readErr != nil {
			_, werr = fmt.Fprintf(stdout, "::error title=pagerd check::%s\n", strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(readErr.Error()))
		}
		for _, d := range diags {
			if _, err := fmt.Fprintln(stdout, d.GitHub()); err != nil {
				werr = err
			}
		}
		fmt.Fprintln(stderr, summary)
	case "json":
		out := struct {
			Dir         string               `json:"dir"`
			Valid       bool                 `json:"valid"`
			Error       string               `json:"error,omitempty"`
			Teams       int                  `json:"teams"`
			People      int                  `json:"people"`
			Errors      int                  `json:"errors"`
			Warnings    int                  `json:"warnings"`
			ExitCode    int                  `json:"exit_code"`
			Diagnostics rotafile.Diagnostics `json:"diagnostics"`
		}{Dir: dir, Valid: code != checkErrors, Errors: nErr, Warnings: nWarn, ExitCode: code, Diagnostics: diags}
		if out.Diagnostics == nil {
			out.Diagnostics = rotafile.Diagnostics{}
		}
		if readErr != nil {
			out.Error = readErr.Error()
		}
		if r != nil {
			out.Teams, out.People = len(r.Teams), len(r.People)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		werr = enc.Encode(out)
	case "sarif":
		werr = rotafile.WriteSARIF(stdout, diags, readErr)
		fmt.Fprintln(stderr, summary)
	}
	if werr != nil {
		fmt.Fprintf(stderr, "pagerd check: writing the result: %v\n", werr)
		return checkErrors
	}
	return code
}

// teamsFor picks the teams a command is about.
func teamsFor(r *rotafile.Rota, team string, stderr io.Writer) ([]*rotafile.Team, bool) {
	if team == "" {
		return r.Teams, true
	}
	t, ok := r.Team(team)
	if !ok {
		ids := make([]string, len(r.Teams))
		for i, t := range r.Teams {
			ids[i] = t.ID
		}
		fmt.Fprintf(stderr, "pagerd: no team %q; teams: %s\n", team, strings.Join(ids, ", "))
		return nil, false
	}
	return []*rotafile.Team{t}, true
}

// fmtTime shows a shift's bound to people; "-" is no bound.
func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return timefmt.People(t, loc)
}

// roleLabel is a role as tables show it: "primary (shadow)".
func roleLabel(role string, shadow, reverse bool) string {
	switch {
	case shadow && reverse:
		return role + " (reverse shadow)"
	case shadow:
		return role + " (shadow)"
	}
	return role
}

func cmdWho(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := newFlagSet("who", "who DIR [--team T] [--at TIME]", stderr)
	team := fs.String("team", "", "only this team")
	at := fs.String("at", "", "the instant to ask about (default now)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	dir, ok := oneDir(fs, pos, stderr)
	if !ok {
		return 2
	}
	r := loadRota(dir, stderr)
	if r == nil {
		return 1
	}
	teams, ok := teamsFor(r, *team, stderr)
	if !ok {
		return 1
	}
	type located struct {
		api.OnCallRow
		loc *time.Location
	}
	rows := []api.OnCallRow{}
	var table []located
	for _, t := range teams {
		instant := now()
		if *at != "" {
			instant, err = rotafile.ParseTime(*at, t.Location)
			if err != nil {
				fmt.Fprintf(stderr, "pagerd who: --at: %v\n", err)
				return 2
			}
		}
		for _, row := range api.WhoRows(t.ID, t.Schedule.Who(instant)) {
			rows = append(rows, row)
			table = append(table, located{row, t.Location})
		}
	}
	if *asJSON {
		return printJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tROLE\tPERSON\tSINCE\tUNTIL\tSOURCE")
	for _, r := range table {
		person, src := "(nobody)", ""
		if r.Person != nil {
			person, src = *r.Person, *r.Source
		}
		if r.Note != "" {
			src += ": " + r.Note
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Team, roleLabel(r.Role, r.Shadow, r.Reverse), person, fmtTime(r.Since.Time, r.loc), fmtTime(r.Until.Time, r.loc), src)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

func cmdShifts(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := newFlagSet("shifts", "shifts DIR --team T [--from A] [--to B] [--json]", stderr)
	team := fs.String("team", "", "the team (required)")
	fromS := fs.String("from", "", "start of the interval (default now)")
	toS := fs.String("to", "", "end of the interval, exclusive (default 14 days after --from)")
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	dir, ok := oneDir(fs, pos, stderr)
	if !ok {
		return 2
	}
	if *team == "" {
		fmt.Fprintln(stderr, "pagerd shifts: --team is required")
		fs.Usage()
		return 2
	}
	r := loadRota(dir, stderr)
	if r == nil {
		return 1
	}
	teams, ok := teamsFor(r, *team, stderr)
	if !ok {
		return 1
	}
	t := teams[0]
	from := now()
	if *fromS != "" {
		if from, err = rotafile.ParseTime(*fromS, t.Location); err != nil {
			fmt.Fprintf(stderr, "pagerd shifts: --from: %v\n", err)
			return 2
		}
	}
	to := from.Add(14 * 24 * time.Hour)
	if *toS != "" {
		if to, err = rotafile.ParseTime(*toS, t.Location); err != nil {
			fmt.Fprintf(stderr, "pagerd shifts: --to: %v\n", err)
			return 2
		}
	}
	if !to.After(from) {
		fmt.Fprintln(stderr, "pagerd shifts: --to must be after --from")
		return 2
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		fmt.Fprintln(stderr, "pagerd shifts: the interval is longer than five years; ask for less")
		return 2
	}
	shifts := t.Schedule.Shifts(from, to)
	if *asJSON {
		rows := make([]api.OnCallRow, len(shifts))
		for i, s := range shifts {
			rows[i] = api.ShiftRow(s)
		}
		return printJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tPERSON\tSTART\tEND\tSOURCE")
	for _, s := range shifts {
		role, src := roleLabel(s.Role, s.Source == rotation.SourceShadow, s.Reverse), string(s.Source)
		if s.Note != "" {
			src += ": " + s.Note
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", role, s.Person, fmtTime(s.Start, t.Location), fmtTime(s.End, t.Location), src)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
