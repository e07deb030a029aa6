package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/pagerd/pagerd/calendar"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
)

type event struct {
	start, end     time.Time
	summary, descr string
}

// fetchFeed GETs a calendar feed and reads it with go-ical, a parser
// pagerd did not write, keyed by UID.
func fetchFeed(t *testing.T, url string) map[string]event {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	cal, err := ical.NewDecoder(resp.Body).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v", err)
	}
	out := map[string]event{}
	for _, e := range cal.Events() {
		uid, err := e.Props.Text(ical.PropUID)
		if err != nil {
			t.Fatal(err)
		}
		var ev event
		if ev.start, err = e.DateTimeStart(time.UTC); err != nil {
			t.Fatal(err)
		}
		if ev.end, err = e.DateTimeEnd(time.UTC); err != nil {
			t.Fatal(err)
		}
		if ev.summary, err = e.Props.Text(ical.PropSummary); err != nil {
			t.Fatal(err)
		}
		if ev.descr, err = e.Props.Text(ical.PropDescription); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[uid]; dup {
			t.Fatalf("UID %s twice", uid)
		}
		out[uid] = ev
	}
	return out
}

// Issue 18, findings 1 and 2: a feed fetched a day (and a few seconds)
// later shows every shift it still covers with the same UID and the same
// real bounds (no event starts or ends at the fetch window's edge), and an
// override says so in its SUMMARY.
func TestCalendarFeedIsStableAcrossFetches(t *testing.T) {
	t.Parallel()
	r, _, err := rotafile.LoadDir("../configs/example")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cur := &inforce.Current{}
	cur.Set(inforce.New(r, 1, quiet))
	first := time.Date(2026, 11, 24, 12, 34, 56, 789e6, time.UTC)
	clk := clock.NewFake(first)
	secret := []byte("calendar secret")
	s := &Server{Rota: cur, Clock: clk, Log: quiet, CalendarSecret: secret}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)

	payments, _ := r.Team("payments")
	for _, feed := range []string{"team/payments", "person/bob", "person/erin"} {
		url := hs.URL + "/api/v1/calendar/" + feed + ".ics?token=" + CalendarToken(secret, feed)
		clk.Set(first)
		before := fetchFeed(t, url)
		clk.Set(first.Add(24*time.Hour + 2*time.Second))
		after := fetchFeed(t, url)
		if len(before) == 0 || len(after) == 0 {
			t.Fatalf("%s: empty feed", feed)
		}
		for when, evs := range map[time.Time]map[string]event{first: before, first.Add(24*time.Hour + 2*time.Second): after} {
			from, until := calendar.Window(when)
			for uid, e := range evs {
				if e.start.Equal(from) || e.end.Equal(until) {
					t.Errorf("%s %s (%s): cut at the fetch window %s..%s", feed, uid, e.summary, from, until)
				}
				if !e.end.After(from) || !e.start.Before(until) {
					t.Errorf("%s %s (%s): outside the window", feed, uid, e.summary)
				}
			}
		}
		from2, _ := calendar.Window(first.Add(24*time.Hour + 2*time.Second))
		for uid, e := range before {
			if !e.end.After(from2) {
				continue // ended before the second window: gone, rightly
			}
			a, ok := after[uid]
			if !ok {
				t.Errorf("%s: %s %v..%v (UID %s) vanished a day later", feed, e.summary, e.start, e.end, uid)
				continue
			}
			if !a.start.Equal(e.start) || !a.end.Equal(e.end) || a.summary != e.summary {
				t.Errorf("%s: UID %s changed: %v..%v %q, then %v..%v %q", feed, uid, e.start, e.end, e.summary, a.start, a.end, a.summary)
			}
		}
		// Every event has the bounds of a real shift.
		for _, e := range before {
			if !strings.HasPrefix(e.summary, "On call") || !strings.Contains(e.descr, "Team: payments") {
				continue
			}
			role := "primary"
			if strings.Contains(e.summary, "secondary") {
				role = "secondary"
			}
			h, ok := payments.Schedule.Holder(role, e.start)
			if !ok || !h.Start.Equal(e.start) || !h.End.Equal(e.end) {
				t.Errorf("%s: %s %v..%v is not a real shift (%v..%v)", feed, e.summary, e.start, e.end, h.Start, h.End)
			}
		}
	}

	clk.Set(first)
	feed := "team/payments"
	evs := fetchFeed(t, hs.URL+"/api/v1/calendar/"+feed+".ics?token="+CalendarToken(secret, feed))
	var override *event
	for _, e := range evs {
		if strings.Contains(e.descr, "Source: override") {
			override = &e
		} else if strings.Contains(e.summary, "override") {
			t.Errorf("%q is not an override", e.summary)
		}
	}
	if override == nil || override.summary != "On call (override): payments primary (bob)" || !strings.Contains(override.descr, "covering dave") {
		t.Errorf("bob's override: %+v", override)
	}
}
