//go:build linux

package faults

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pagerd/pagerd/rotafile"
)

// step is one page every alert must cause: Person is paged After the
// alert arrived (testdata/rota/core.yaml: Ann at once, Ben 4 s later;
// TestRotaMatchesTheSteps keeps the two in step).
type step struct {
	Person string
	After  time.Duration
}

var rotaSteps = []step{{"ann", 0}, {"ben", 4 * time.Second}}

// pageCheck is what the fake Twilio's record says about a set of alerts.
type pageCheck struct {
	Missing      int // pages due that no phone received
	Duplicates   int // deliveries beyond the first of a page
	OverTwice    int // pages delivered three times or more
	Wrong        int // deliveries of an alert to someone it was not due to
	Unattributed int // deliveries no alert could be read from
	Calls        int // pages that went out as calls (after a text failed)
	// Resume is the longest any page sent at or after ref waited past
	// ref or past falling due, whichever is later: how long paging stalled
	// because of the fault. Resumed is false when nothing was paged after
	// ref.
	Resume  time.Duration
	Resumed bool
	Worst   string // the page that waited Resume
	// MaxFirst is the longest time from an alert's creation to its first
	// page; MaxLate the longest time a later step was paged after it fell
	// due.
	MaxFirst, MaxLate time.Duration
	// Examples name a few of the problems, for whoever reads the report;
	// MissingIDs and DupIDs a few of the alerts concerned.
	Examples           []string
	MissingIDs, DupIDs []int64
}

func (p *pageCheck) example(format string, args ...any) {
	if len(p.Examples) < 6 {
		p.Examples = append(p.Examples, fmt.Sprintf(format, args...))
	}
}

// checkPages holds alerts against deliveries: every step of every alert
// delivered exactly once, by text or call, to the step's person. A call
// that follows a text that failed is the same page by its next method; a
// call after a text that arrived is a duplicate.
//
// Steps fall due their After past the alert's creation (Created; the 202
// when it could not be read), and not before NotBefore.
func checkPages(alerts []accepted, dels []delivery, steps []step, ref time.Time) pageCheck {
	var pc pageCheck
	byAlert := map[int64][]delivery{}
	for _, d := range dels {
		if len(d.Alerts) == 0 {
			pc.Unattributed++
			pc.example("a %s to %s (%s) names no alert", d.Kind, d.Person, d.SID)
			continue
		}
		for _, id := range d.Alerts {
			byAlert[id] = append(byAlert[id], d)
		}
	}
	ours := map[int64]bool{}
	for _, a := range alerts {
		ours[a.ID] = true
	}
	for id, ds := range byAlert {
		if !ours[id] {
			delete(byAlert, id) // another round's alert
			continue
		}
		slices.SortFunc(ds, func(a, b delivery) int { return a.At.Compare(b.At) })
	}
	due := map[string]step{}
	for _, s := range steps {
		due[s.Person] = s
	}
	for _, a := range alerts {
		got := map[string][]delivery{}
		for _, d := range byAlert[a.ID] {
			if _, ok := due[d.Person]; !ok {
				pc.Wrong++
				pc.example("alert %d went to %s", a.ID, d.Person)
				continue
			}
			got[d.Person] = append(got[d.Person], d)
		}
		for i, s := range steps {
			ds := got[s.Person]
			if len(ds) == 0 {
				pc.Missing++
				pc.example("alert %d (%s): %s never paged", a.ID, a.Key, s.Person)
				if len(pc.MissingIDs) < 2 {
					pc.MissingIDs = append(pc.MissingIDs, a.ID)
				}
				continue
			}
			if ds[0].Kind == "voice" {
				pc.Calls++
			}
			if n := len(ds); n > 1 {
				pc.Duplicates += n - 1
				if n > 2 {
					pc.OverTwice++
				}
				pc.example("alert %d: %s paged %d times (%s)", a.ID, s.Person, n, kinds(ds))
				if len(pc.DupIDs) < 2 {
					pc.DupIDs = append(pc.DupIDs, a.ID)
				}
			}
			created := a.Created
			if created.IsZero() {
				created = a.At
			}
			dueAt := maxTime(created.Add(s.After), a.NotBefore)
			if i == 0 {
				pc.MaxFirst = max(pc.MaxFirst, ds[0].At.Sub(dueAt))
			} else {
				pc.MaxLate = max(pc.MaxLate, ds[0].At.Sub(dueAt))
			}
			if !ds[0].At.Before(ref) {
				if w := ds[0].At.Sub(maxTime(dueAt, ref)); !pc.Resumed || w > pc.Resume {
					pc.Resume, pc.Resumed = w, true
					pc.Worst = fmt.Sprintf("alert %d's page to %s, due %s, sent %s (%s %s; alert sent %s, 202 at %s from %s)", a.ID, s.Person,
						dueAt.Format("15:04:05.000"), ds[0].At.Format("15:04:05.000"), ds[0].Kind, ds[0].SID,
						a.Sent.Format("15:04:05.000"), a.At.Format("15:04:05.000"), a.Node)
				}
			}
		}
	}
	return pc
}

func kinds(ds []delivery) string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += ", "
		}
		s += d.Kind + " " + d.SID
	}
	return s
}

// The reconciliation is what the suite's verdicts rest on: these check
// that it sees each kind of failure it claims to.

func TestCheckPagesCountsEachKindOfFailure(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	alerts := []accepted{
		{ID: 1, Key: "k1", Created: at(0), At: at(0)},   // paged cleanly
		{ID: 2, Key: "k2", Created: at(0), At: at(0)},   // Ann paged twice (a text, then a call)
		{ID: 3, Key: "k3", Created: at(1), At: at(1)},   // Ben never paged, Ann three times
		{ID: 4, Key: "k4", Created: at(2), At: at(2.1)}, // due before ref, paged 3.5 s after it
		{ID: 5, Key: "k5", At: at(3.9)},                 // bundled with 4 for Ann; not read back: due from the 202
		// Stamped created at 0 by a node paused until 5.8: due no earlier.
		{ID: 6, Key: "k6", Created: at(0), NotBefore: at(5.8), At: at(6)},
	}
	dels := []delivery{
		{Alerts: []int64{1, 2}, Person: "ann", Kind: "sms", SID: "SM1", At: at(0.5)},
		{Alerts: []int64{2}, Person: "ann", Kind: "voice", SID: "CA1", At: at(2)},
		{Alerts: []int64{3}, Person: "ann", Kind: "sms", SID: "SM10", At: at(1.5)},
		{Alerts: []int64{3}, Person: "ann", Kind: "sms", SID: "SM11", At: at(1.6)},
		{Alerts: []int64{1, 2}, Person: "ben", Kind: "sms", SID: "SM2", At: at(5.5)},
		{Alerts: []int64{3}, Person: "ann", Kind: "sms", SID: "SM3", At: at(1.2)},
		{Alerts: []int64{4, 5, 6}, Person: "ann", Kind: "sms", SID: "SM4", At: at(6)},
		{Alerts: []int64{6}, Person: "ben", Kind: "sms", SID: "SM12", At: at(6.3)},
		{Alerts: []int64{4}, Person: "ben", Kind: "sms", SID: "SM5", At: at(7.5)},
		{Alerts: []int64{5}, Person: "ben", Kind: "sms", SID: "SM6", At: at(9)},
		{Alerts: []int64{5}, Person: "eve", Kind: "sms", SID: "SM7", At: at(9)},
		{Alerts: []int64{99}, Person: "ann", Kind: "sms", SID: "SM8", At: at(9)}, // another round's
		{Person: "ann", Kind: "sms", SID: "SM9", At: at(9)},
	}
	steps := []step{{"ann", 0}, {"ben", 5 * time.Second}}
	pc := checkPages(alerts, dels, steps, at(2.5))
	// Resume: the worst wait past max(due, ref) of a page sent after ref:
	// alert 4's first page, due at 2, sent at 6, 3.5 s after ref.
	want := pageCheck{Missing: 1, Duplicates: 3, OverTwice: 1, Wrong: 1, Unattributed: 1, Calls: 0, Resume: 3500 * time.Millisecond, Resumed: true,
		MaxFirst: 4 * time.Second, MaxLate: 500 * time.Millisecond}
	pc.Examples, pc.Worst, pc.MissingIDs, pc.DupIDs = nil, "", nil, nil
	if fmt.Sprint(pc) != fmt.Sprint(want) {
		t.Errorf("checkPages =\n %+v\nwant\n %+v", pc, want)
	}
}

func TestCheckPagesNothingResumed(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	alerts := []accepted{{ID: 1, Created: t0, At: t0}, {ID: 2, Created: t0.Add(5 * time.Second), At: t0.Add(5 * time.Second)}}
	dels := []delivery{{Alerts: []int64{1}, Person: "ann", Kind: "sms", SID: "SM1", At: t0.Add(time.Second)}}
	pc := checkPages(alerts, dels, []step{{"ann", 0}}, t0.Add(2*time.Second))
	if pc.Resumed || pc.Missing != 1 {
		t.Errorf("paged only before ref: %+v, want not resumed, 1 missing", pc)
	}
}

func TestRotaMatchesTheSteps(t *testing.T) {
	r, diags, err := rotafile.LoadDir("testdata/rota")
	if err != nil {
		t.Fatalf("testdata/rota: %v\n%v", err, diags)
	}
	team, ok := r.Team("core")
	if !ok {
		t.Fatal("no team core")
	}
	steps := team.Escalation.Steps
	if len(steps) != len(rotaSteps) || team.Escalation.Repeat != 0 {
		t.Fatalf("the rota has %d steps, repeat %d; rotaSteps has %d, no repeat", len(steps), team.Escalation.Repeat, len(rotaSteps))
	}
	var after time.Duration
	for i, s := range steps {
		if rotaSteps[i].After != after {
			t.Errorf("step %d is due %v in, rotaSteps says %v", i+1, after, rotaSteps[i].After)
		}
		after += s.AckTimeout
	}
	for number, id := range rotaPeople {
		p, ok := r.People[id]
		if !ok || p.SMS != number || p.Voice != number {
			t.Errorf("rotaPeople has %s for %s; the rota has %+v", number, id, p)
		}
	}
}
