package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pagerd/pagerd/rotadiff"
	"github.com/pagerd/pagerd/rotafile"
)

// diffWindow is how far ahead pagerd diff looks by default.
const diffWindow = 12 * 7 * 24 * time.Hour

// diffOptions are the flags the diff and the edit commands share.
type diffOptions struct {
	from, to, team, format *string
}

func addDiffFlags(fs *flag.FlagSet) diffOptions {
	return diffOptions{
		from:   fs.String("from", "", "start of the comparison (default now: the past is the ledger's)"),
		to:     fs.String("to", "", "end of the comparison, exclusive (default 12 weeks after --from)"),
		team:   fs.String("team", "", "only this team"),
		format: fs.String("format", "text", "output: text, markdown (a pull-request comment) or json"),
	}
}

// window checks the flags and returns the per-team window: local times are
// read in each team's zone. minTo, if later, extends the default end (an
// edit's diff reaches the edit's end).
func (o diffOptions) window(name string, now time.Time, minTo time.Time, stderr io.Writer) (rotadiff.Window, bool) {
	switch *o.format {
	case "text", "markdown", "json":
	default:
		fmt.Fprintf(stderr, "pagerd %s: --format %q: want text, markdown or json\n", name, *o.format)
		return nil, false
	}
	win := func(loc *time.Location) (time.Time, time.Time, error) {
		from := now
		if *o.from != "" {
			var err error
			if from, err = rotafile.ParseTime(*o.from, loc); err != nil {
				return from, from, fmt.Errorf("--from: %w", err)
			}
		}
		to := from.Add(diffWindow)
		if minTo.After(to) {
			to = minTo
		}
		if *o.to != "" {
			var err error
			if to, err = rotafile.ParseTime(*o.to, loc); err != nil {
				return from, to, fmt.Errorf("--to: %w", err)
			}
		}
		return from, to, nil
	}
	// Read once in UTC to report a malformed time or an empty window as a
	// usage error; the zone moves a local time, never whether it parses.
	from, to, err := win(time.UTC)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", name, err)
		return nil, false
	}
	if !to.After(from) {
		fmt.Fprintf(stderr, "pagerd %s: --to must be after --from\n", name)
		return nil, false
	}
	if to.Sub(from) > 5*366*24*time.Hour {
		fmt.Fprintf(stderr, "pagerd %s: the window is longer than five years; ask for less\n", name)
		return nil, false
	}
	return win, true
}

// print writes the report in the chosen format, only the chosen team if
// one was asked for.
func (o diffOptions) print(name string, rep *rotadiff.Report, stdout, stderr io.Writer) int {
	if *o.team != "" {
		var keep []rotadiff.Team
		for _, t := range rep.Teams {
			if t.ID == *o.team {
				keep = append(keep, t)
			}
		}
		if keep == nil {
			fmt.Fprintf(stderr, "pagerd %s: team %q is in neither version\n", name, *o.team)
			return 1
		}
		rep = &rotadiff.Report{Teams: keep}
	}
	var err error
	switch *o.format {
	case "markdown":
		err = rep.Markdown(stdout)
	case "json":
		err = rep.JSON(stdout)
	default:
		err = rep.Text(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", name, err)
		return 1
	}
	return 0
}

func cmdDiff(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := newFlagSet("diff", "diff OLD NEW | diff --git REV DIR  [--from A] [--to B] [--team T] [--format text|markdown|json]", stderr)
	rev := fs.String("git", "", "compare DIR as it is at this git revision (branch, tag, commit) with DIR as it is on disk")
	opts := addDiffFlags(fs)
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	var oldName string
	var oldFiles func() ([]rotafile.File, error)
	var newDir string
	switch {
	case *rev != "" && len(pos) == 1:
		newDir = pos[0]
		oldName = *rev + ":" + newDir
		oldFiles = func() ([]rotafile.File, error) { return rotafile.ReadGitDir(context.Background(), *rev, newDir) }
	case *rev == "" && len(pos) == 2:
		newDir = pos[1]
		oldName = pos[0]
		oldFiles = func() ([]rotafile.File, error) { return rotafile.ReadDir(pos[0]) }
	default:
		fmt.Fprintln(stderr, "pagerd diff: want two rota directories (OLD NEW), or --git REV and one directory")
		fs.Usage()
		return 2
	}
	win, ok := opts.window("diff", now(), time.Time{}, stderr)
	if !ok {
		return 2
	}
	files, err := oldFiles()
	if err != nil {
		fmt.Fprintf(stderr, "pagerd diff: %v\n", err)
		return 1
	}
	old, ok := loadSide(oldName, files, stderr)
	if !ok {
		return 1
	}
	files, err = rotafile.ReadDir(newDir)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd diff: %v\n", err)
		return 1
	}
	new, ok := loadSide(newDir, files, stderr)
	if !ok {
		return 1
	}
	rep, err := rotadiff.Compare(old, new, win)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd diff: %v\n", err)
		return 1
	}
	return opts.print("diff", rep, stdout, stderr)
}

// loadSide loads one version, printing its errors if it has any.
func loadSide(name string, files []rotafile.File, stderr io.Writer) (rotadiff.Side, bool) {
	r, diags := rotafile.Load(files)
	if r == nil {
		for _, d := range diags.Errors() {
			fmt.Fprintln(stderr, d)
		}
		fmt.Fprintf(stderr, "pagerd diff: %s has %d error(s); pagerd check shows them all\n", name, len(diags.Errors()))
		return rotadiff.Side{}, false
	}
	return rotadiff.Side{Rota: r, Diags: diags}, true
}
