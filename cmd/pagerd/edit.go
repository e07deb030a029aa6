package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pagerd/pagerd/rotadiff"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/rotation"
)

// editSynopses are the edit commands' usage lines.
var editSynopses = map[string]string{
	"override add":    "override add DIR --team T --role R --person P --from A --until B [--note N]",
	"override remove": "override remove DIR --team T --role R --from A",
	"shadow add":      "shadow add DIR --team T --role R --person P --from A --until B [--reverse]",
	"shadow remove":   "shadow remove DIR --team T --role R --person P --from A",
	"member add":      "member add DIR --team T --role R --person P --from A",
	"member remove":   "member remove DIR --team T --role R --person P --from A",
}

// cmdEdit runs "pagerd override|shadow|member add|remove": it edits the
// team's file in place through rotafile, refuses (writing nothing) if the
// result would not pass check, and prints what the edit does to shifts.
func cmdEdit(kind string, args []string, stdout, stderr io.Writer, now func() time.Time) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "remove") {
		fmt.Fprintf(stderr, "Usage: pagerd %s\n       pagerd %s\n", editSynopses[kind+" add"], editSynopses[kind+" remove"])
		return 2
	}
	name := kind + " " + args[0]
	fs := newFlagSet(name, editSynopses[name]+" [--dry-run] [--format text|markdown|json]", stderr)
	team := fs.String("team", "", "the team (required)")
	role := fs.String("role", "", "the role (required)")
	person := fs.String("person", "", "the person")
	fromS := fs.String("from", "", "when it starts (required): a local time in the team's zone, or RFC 3339")
	var untilS, note *string
	var reverse *bool
	if args[0] == "add" && kind != "member" {
		untilS = fs.String("until", "", "when it ends, exclusive (required)")
	}
	if name == "override add" {
		note = fs.String("note", "", "shown next to the shift, e.g. \"covering alice\"")
	}
	if name == "shadow add" {
		reverse = fs.Bool("reverse", false, "a reverse shadow: an experienced person watching, whose ack counts")
	}
	dryRun := fs.Bool("dry-run", false, "print the diff but don't change the file")
	format := fs.String("format", "text", "the diff's format: text, markdown or json")
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	dir, ok := oneDir(fs, pos, stderr)
	if !ok {
		return 2
	}
	missing := ""
	switch {
	case *team == "":
		missing = "--team"
	case *role == "":
		missing = "--role"
	case *person == "" && name != "override remove":
		missing = "--person"
	case *fromS == "":
		missing = "--from"
	case untilS != nil && *untilS == "":
		missing = "--until"
	}
	if missing != "" {
		fmt.Fprintf(stderr, "pagerd %s: %s is required\n", name, missing)
		fs.Usage()
		return 2
	}
	switch *format {
	case "text", "markdown", "json":
	default:
		fmt.Fprintf(stderr, "pagerd %s: --format %q: want text, markdown or json\n", name, *format)
		return 2
	}

	files, err := rotafile.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", name, err)
		return 1
	}
	old, diags := rotafile.Load(files)
	if old == nil {
		for _, d := range diags.Errors() {
			fmt.Fprintln(stderr, d)
		}
		fmt.Fprintf(stderr, "pagerd %s: %s has errors; fix them first (pagerd check %s)\n", name, dir, dir)
		return 1
	}
	teams, ok := teamsFor(old, *team, stderr)
	if !ok {
		return 1
	}
	t := teams[0]
	from, err := rotafile.ParseTime(*fromS, t.Location)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: --from: %v\n", name, err)
		return 2
	}
	var until time.Time
	if untilS != nil {
		if until, err = rotafile.ParseTime(*untilS, t.Location); err != nil {
			fmt.Fprintf(stderr, "pagerd %s: --until: %v\n", name, err)
			return 2
		}
		if !until.After(from) {
			fmt.Fprintf(stderr, "pagerd %s: --until must be after --from (it is not included)\n", name)
			return 2
		}
	}

	var e rotafile.Edit
	reach := until // the diff reaches at least the end of what changed
	switch name {
	case "override add":
		e, err = rotafile.AddOverride(old, *team, rotation.Override{Role: *role, Person: *person, From: from, Until: until, Note: *note})
	case "override remove":
		e, err = rotafile.RemoveOverride(old, *team, *role, from)
	case "shadow add":
		e, err = rotafile.AddShadow(old, *team, rotation.Shadow{Person: *person, Role: *role, From: from, Until: until, Reverse: *reverse})
	case "shadow remove":
		e, err = rotafile.RemoveShadow(old, *team, *role, *person, from)
	case "member add":
		e, err = rotafile.AddMember(old, *team, *role, *person, from)
	case "member remove":
		e, err = rotafile.RemoveMember(old, *team, *role, *person, from)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v; nothing was changed\n", name, err)
		return 1
	}
	if reach.IsZero() {
		reach = from.Add(diffWindow)
	}

	newFiles := e.Apply(files)
	edited, newDiags := rotafile.Load(newFiles)
	if edited == nil {
		for _, d := range newDiags.Errors() {
			fmt.Fprintln(stderr, d)
		}
		fmt.Fprintf(stderr, "pagerd %s: refused: with this edit the rota would not pass check (%d error(s)); nothing was changed\n", name, len(newDiags.Errors()))
		return 1
	}

	// The diff covers the team from now (or the edit's start, if that is
	// earlier, so the edit's whole effect shows) to 12 weeks on, or to the
	// edit's end if that is later.
	start := now()
	if from.Before(start) {
		start = from
	}
	end := start.Add(diffWindow)
	if reach.After(end) {
		end = reach
	}
	win := func(*time.Location) (time.Time, time.Time, error) { return start, end, nil }
	opts := diffOptions{team: team, format: format}
	rep, err := rotadiff.Compare(rotadiff.Side{Rota: old, Diags: diags}, rotadiff.Side{Rota: edited, Diags: newDiags}, win)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v; nothing was changed\n", name, err)
		return 1
	}
	if *dryRun {
		fmt.Fprintf(stderr, "dry run: %s would change: %s\n", e.File, e.What)
	} else {
		if err := replaceFile(e.File, e.Before, e.After); err != nil {
			fmt.Fprintf(stderr, "pagerd %s: %v\n", name, err)
			return 1
		}
		fmt.Fprintf(stderr, "%s: %s\n", e.File, e.What)
	}
	return opts.print(name, rep, stdout, stderr)
}

// replaceFile writes data to path in place of expect, atomically (a
// temporary file renamed over it), keeping its permissions. It refuses if
// the file is no longer expect: someone else edited it meanwhile.
func replaceFile(path string, expect, data []byte) error {
	real, err := filepath.EvalSymlinks(path) // write the file a link points to, not over the link
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	cur, err := os.ReadFile(real)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !bytes.Equal(cur, expect) {
		return fmt.Errorf("%s changed while pagerd was editing it; nothing was written: run the command again", path)
	}
	info, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// A hidden name, so a rota load never reads a leftover.
	tmp, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			// Best effort: the edit already failed, and a leftover is
			// hidden from rota loads.
			_ = os.Remove(tmp.Name())
		}
	}()
	// On a failed write or sync the close error adds nothing: the write's
	// error is the one reported, and the file is removed.
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), real); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return nil
}
