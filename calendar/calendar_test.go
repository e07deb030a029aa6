package calendar

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/pagerd/pagerd/rotation"
)

var stamp = time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

// rota is a small team rota around London's 2026-10-25 fall-back.
func rota(loc *time.Location, handoff time.Time) []rotation.Shift {
	return []rotation.Shift{
		{Team: "payments", Role: "primary", Person: "alice", Source: rotation.SourceRotation,
			Start: at(loc, 2026, 10, 22, 9, 0), End: handoff},
		{Team: "payments", Role: "primary", Person: "bob", Source: rotation.SourceRotation,
			Start: handoff, End: at(loc, 2026, 10, 26, 9, 0)},
		{Team: "payments", Role: "secondary", Person: "carol", Source: rotation.SourceRotation,
			Start: at(loc, 2026, 10, 24, 9, 0), End: at(loc, 2026, 10, 26, 9, 0)},
		{Team: "payments", Role: "primary", Person: "erin", Source: rotation.SourceShadow,
			Start: at(loc, 2026, 10, 24, 9, 0), End: at(loc, 2026, 10, 26, 9, 0)},
	}
}

func render(t *testing.T, f Feed, shifts []rotation.Shift) (string, *ical.Calendar) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, shifts); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	cal, err := ical.NewDecoder(strings.NewReader(out)).Decode()
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	return out, cal
}

func text(t *testing.T, e ical.Event, name string) string {
	t.Helper()
	s, err := e.Props.Text(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bySummary(t *testing.T, cal *ical.Calendar) map[string]ical.Event {
	t.Helper()
	m := map[string]ical.Event{}
	for _, e := range cal.Events() {
		m[text(t, e, ical.PropSummary)] = e
	}
	return m
}

func TestFeedParses(t *testing.T) {
	loc := london(t)
	out, cal := render(t, Feed{Name: "pagerd: payments", Location: loc, Stamp: stamp},
		rota(loc, at(loc, 2026, 10, 24, 9, 0)))

	if v := cal.Props.Get(ical.PropVersion); v == nil || v.Value != "2.0" {
		t.Errorf("VERSION = %v", v)
	}
	if cal.Props.Get(ical.PropProductID) == nil {
		t.Error("no PRODID")
	}
	if v := cal.Props.Get("X-WR-CALNAME"); v == nil || v.Value != "pagerd: payments" {
		t.Errorf("X-WR-CALNAME = %v", v)
	}
	evs := cal.Events()
	if len(evs) != 4 {
		t.Fatalf("%d events, want 4", len(evs))
	}
	uids := map[string]bool{}
	for _, e := range evs {
		uid := text(t, e, ical.PropUID)
		if uids[uid] || !strings.HasSuffix(uid, "@pagerd") {
			t.Errorf("bad or duplicate UID %q", uid)
		}
		uids[uid] = true
		if v := e.Props.Get(ical.PropTransparency); v == nil || v.Value != "TRANSPARENT" {
			t.Errorf("TRANSP = %v", v)
		}
		if d, err := e.Props.DateTime(ical.PropDateTimeStamp, nil); err != nil || !d.Equal(stamp) {
			t.Errorf("DTSTAMP = %v, %v", d, err)
		}
	}
	m := bySummary(t, cal)
	for _, s := range []string{
		"On call: payments primary (alice)",
		"On call: payments primary (bob)",
		"On call: payments secondary (carol)",
		"Shadowing: payments primary (erin)",
	} {
		if _, ok := m[s]; !ok {
			t.Errorf("no event %q; have %v", s, keys(m))
		}
	}
	if d := text(t, m["Shadowing: payments primary (erin)"], ical.PropDescription); !strings.Contains(d, "Source: shadow") {
		t.Errorf("shadow description %q", d)
	}
	for _, l := range strings.SplitAfter(out, "\n") {
		if l != "" && !strings.HasSuffix(l, "\r\n") {
			t.Errorf("line without CRLF: %q", l)
		}
		if len(strings.TrimSuffix(l, "\r\n")) > 75 {
			t.Errorf("line over 75 octets: %q", l)
		}
	}
}

func keys(m map[string]ical.Event) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

func TestDSTShift(t *testing.T) {
	loc := london(t)
	out, cal := render(t, Feed{Name: "pagerd: carol", Location: loc, Stamp: stamp},
		rota(loc, at(loc, 2026, 10, 24, 9, 0)))
	e := bySummary(t, cal)["On call: payments secondary (carol)"]
	if !strings.Contains(out, "DTSTART;TZID=Europe/London:20261024T090000") ||
		!strings.Contains(out, "DTEND;TZID=Europe/London:20261026T090000") {
		t.Errorf("local times not written as TZID wall times:\n%s", out)
	}
	start, err := e.DateTimeStart(nil)
	if err != nil {
		t.Fatal(err)
	}
	end, err := e.DateTimeEnd(nil)
	if err != nil {
		t.Fatal(err)
	}
	// 09:00 BST = 08:00Z on the 24th; 09:00 GMT = 09:00Z on the 26th: 49 hours.
	if want := time.Date(2026, 10, 24, 8, 0, 0, 0, time.UTC); !start.Equal(want) {
		t.Errorf("start %v, want %v", start.UTC(), want)
	}
	if want := time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Errorf("end %v, want %v", end.UTC(), want)
	}
	if h := end.Sub(start); h != 49*time.Hour {
		t.Errorf("length %v, want 49h", h)
	}
	for _, x := range []time.Time{start, end} {
		if lt := x.In(loc); lt.Hour() != 9 || lt.Minute() != 0 {
			t.Errorf("local wall time %v, want 09:00", lt)
		}
	}

	// go-ical resolves TZID from the system database; check that the
	// VTIMEZONE we wrote says the same on its own.
	for _, p := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd} {
		got := resolveWithVTimezone(t, cal, e.Props.Get(p).Value)
		want, _ := e.Props.DateTime(p, nil)
		if !got.Equal(want) {
			t.Errorf("%s via VTIMEZONE = %v, want %v", p, got.UTC(), want.UTC())
		}
	}
}

// resolveWithVTimezone turns a local wall time into an instant using only
// the feed's VTIMEZONE components.
func resolveWithVTimezone(t *testing.T, cal *ical.Calendar, wall string) time.Time {
	t.Helper()
	type period struct {
		onset time.Time
		to    int
	}
	var ps []period
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		for _, p := range c.Children {
			local, err := time.Parse("20060102T150405", p.Props.Get(ical.PropDateTimeStart).Value)
			if err != nil {
				t.Fatal(err)
			}
			from, to := parseOffset(t, p.Props.Get(ical.PropTimezoneOffsetFrom).Value), parseOffset(t, p.Props.Get(ical.PropTimezoneOffsetTo).Value)
			ps = append(ps, period{local.Add(-time.Duration(from) * time.Second), to})
		}
	}
	if len(ps) == 0 {
		t.Fatal("no VTIMEZONE")
	}
	w, err := time.Parse("20060102T150405", wall)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		inst := w.Add(-time.Duration(p.to) * time.Second)
		if !inst.Before(p.onset) && (i+1 == len(ps) || inst.Before(ps[i+1].onset)) {
			return inst
		}
	}
	t.Fatalf("%s not covered by the VTIMEZONE", wall)
	return time.Time{}
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	var h, m int
	if _, err := fmt.Sscanf(s[1:], "%02d%02d", &h, &m); err != nil {
		t.Fatal(err)
	}
	if s[0] == '-' {
		return -(h*3600 + m*60)
	}
	return h*3600 + m*60
}

func TestEditedRotaKeepsUIDs(t *testing.T) {
	loc := london(t)
	f := Feed{Name: "pagerd: payments", Location: loc, Stamp: stamp}
	_, before := render(t, f, rota(loc, at(loc, 2026, 10, 24, 9, 0)))
	_, after := render(t, f, rota(loc, at(loc, 2026, 10, 24, 17, 30))) // handoff moved

	b, a := bySummary(t, before), bySummary(t, after)
	for s, eb := range b {
		ea, ok := a[s]
		if !ok {
			t.Fatalf("%q gone after the edit", s)
		}
		if text(t, eb, ical.PropUID) != text(t, ea, ical.PropUID) {
			t.Errorf("%q changed UID", s)
		}
	}
	bob := "On call: payments primary (bob)"
	eb, ea := b[bob], a[bob]
	sb, _ := eb.DateTimeStart(nil)
	sa, _ := ea.DateTimeStart(nil)
	if want := at(loc, 2026, 10, 24, 17, 30); !sa.Equal(want) || sb.Equal(sa) {
		t.Errorf("bob's start %v -> %v, want moved to %v", sb, sa, want)
	}

	// A different day or person is a different event; the same person
	// holding the same role twice in a day gets two distinct UIDs.
	ov := func(p string, d, h int) rotation.Shift {
		return rotation.Shift{Team: "payments", Role: "primary", Person: p, Source: rotation.SourceOverride,
			Start: at(loc, 2026, 11, d, h, 0), End: at(loc, 2026, 11, d, h+2, 0)}
	}
	_, cal := render(t, f, []rotation.Shift{ov("dan", 2, 10), ov("dan", 2, 14), ov("dan", 3, 10), ov("erin", 2, 10)})
	uids := map[string]bool{}
	for _, e := range cal.Events() {
		uids[text(t, e, ical.PropUID)] = true
	}
	if len(uids) != 4 {
		t.Errorf("%d distinct UIDs, want 4", len(uids))
	}
}

func TestEscaping(t *testing.T) {
	note := `swap, agreed; see "ops\runbook"` + "\nback Monday, 09:00; ok?\r\nthanks — 日本語"
	s := rotation.Shift{Team: "pay,ments", Role: "primary", Person: "alice;b", Source: rotation.SourceOverride,
		Start: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC),
		Note: note + strings.Repeat(" long long long", 10)}
	out, cal := render(t, Feed{Name: "pagerd: a, b; c\\d", Location: nil, Stamp: stamp}, []rotation.Shift{s})
	if strings.Contains(out, "VTIMEZONE") || !strings.Contains(out, "DTSTART:20261102T090000Z") {
		t.Errorf("UTC feed should use Z times without VTIMEZONE:\n%s", out)
	}
	e := cal.Events()[0]
	if got, want := text(t, e, ical.PropSummary), "On call (override): pay,ments primary (alice;b)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	d := text(t, e, ical.PropDescription)
	wantNote := strings.ReplaceAll(note, "\r\n", "\n") + strings.Repeat(" long long long", 10)
	if !strings.Contains(d, "Source: override") || !strings.HasSuffix(d, "Note: "+wantNote) {
		t.Errorf("description %q", d)
	}
	if n, err := cal.Props.Text("X-WR-CALNAME"); err != nil || n != "pagerd: a, b; c\\d" {
		t.Errorf("calname %q, %v", n, err)
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Feed{}, nil); err == nil {
		t.Error("zero stamp accepted")
	}
	bad := rotation.Shift{Start: stamp, End: stamp}
	if err := Write(&buf, Feed{Stamp: stamp}, []rotation.Shift{bad}); err == nil || buf.Len() != 0 {
		t.Errorf("empty shift: err %v, wrote %d bytes", err, buf.Len())
	}
}

func TestAmbiguousWrittenInUTC(t *testing.T) {
	loc := london(t)
	// 01:30 BST and 01:30 GMT on 2026-10-25 share a wall time.
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	second := first.Add(time.Hour)
	out, cal := render(t, Feed{Location: loc, Stamp: stamp}, []rotation.Shift{
		{Team: "t", Role: "primary", Person: "p", Start: first, End: second},
		{Team: "t", Role: "secondary", Person: "p", Start: second, End: second.Add(time.Hour)},
	})
	if !strings.Contains(out, "DTSTART:20261025T003000Z") ||
		!strings.Contains(out, "DTSTART:20261025T013000Z") {
		t.Errorf("unexpected encoding:\n%s", out)
	}
	for i, e := range cal.Events() {
		s, _ := e.DateTimeStart(nil)
		if want := first.Add(time.Duration(i) * time.Hour); !s.Equal(want) {
			t.Errorf("event %d starts %v, want %v", i, s.UTC(), want)
		}
	}
}

func TestWindow(t *testing.T) {
	from, until := Window(stamp)
	if !from.Equal(stamp.AddDate(0, 0, -30)) || !until.Equal(stamp.AddDate(0, 0, 90)) {
		t.Errorf("window %v..%v", from, until)
	}
}
