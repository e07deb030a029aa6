package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/pagerd/pagerd/calendar"
	"github.com/pagerd/pagerd/rotation"
)

// CalendarToken is the secret token of one feed ("person/alice",
// "team/payments"): an HMAC of its name, so tokens need no storage and a
// new secret revokes them all.
func CalendarToken(secret []byte, feed string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(feed))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// calendarFeed serves /api/v1/calendar/person/{id}.ics?token=... and
// /team/{id}.ics: every shift overlapping the last 30 and next 90 days,
// whole, so that its event is the same whenever the feed is fetched.
func (s *Server) calendarFeed(w http.ResponseWriter, r *http.Request) {
	kind, file := r.PathValue("kind"), r.PathValue("file")
	id, ok := strings.CutSuffix(file, ".ics")
	feed := kind + "/" + id
	want := CalendarToken(s.CalendarSecret, feed)
	if !ok || (kind != "person" && kind != "team") || subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(want)) != 1 {
		http.NotFound(w, r) // a wrong token learns nothing, not even that the feed exists
		return
	}
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Clock.Now()
	from, until := calendar.Window(now)
	var shifts []rotation.Shift
	f := calendar.Feed{Stamp: now}
	switch kind {
	case "team":
		t, ok := rt.Team(id)
		if !ok {
			http.NotFound(w, r)
			return
		}
		f.Name, f.Location = "pagerd: "+t.Name, t.Location
		shifts = t.Schedule.WholeShifts(from, until)
	case "person":
		p, ok := rt.People[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f.Name, f.Location = "pagerd: "+p.Name, p.Location
		for _, t := range rt.Teams {
			for _, sh := range t.Schedule.WholeShifts(from, until) {
				if sh.Person == id {
					shifts = append(shifts, sh)
				}
			}
		}
	}
	for i := range shifts {
		if shifts[i].End.IsZero() {
			// A shift with no end (a rule with no later handoff, which
			// the loader refuses) would have no DTEND: show it to the
			// window's end.
			shifts[i].End = until
		}
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	if err := calendar.Write(w, f, shifts); err != nil {
		s.Log.Error("calendar feed", "feed", feed, "err", err)
	}
}

// calendarURLs lists every feed's path with its token, for operators to
// hand out.
func (s *Server) calendarURLs(w http.ResponseWriter, r *http.Request) {
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]string{}
	for _, t := range rt.Teams {
		feed := "team/" + t.ID
		out[feed] = fmt.Sprintf("/api/v1/calendar/%s.ics?token=%s", feed, CalendarToken(s.CalendarSecret, feed))
	}
	for id := range rt.People {
		feed := "person/" + id
		out[feed] = fmt.Sprintf("/api/v1/calendar/%s.ics?token=%s", feed, CalendarToken(s.CalendarSecret, feed))
	}
	writeJSON(w, http.StatusOK, out)
}
