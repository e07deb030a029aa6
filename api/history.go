package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// The history of retired alerts: their summaries by range of times
// (GET /api/v1/history), and their full records from the archive, in etcd
// or the archive bucket (GET /api/v1/archive): by id directly, by team and
// range through the summaries, which name where each record is. Any node
// answers both.

// historyWindow reads from and to (RFC 3339, or dates and local times in
// UTC) with the defaults: every alert created up to now. Retired alerts
// were created at least a retention ago, so a default of "recent" would
// find none of them; the scan is newest first and stops at the limit.
func (s *Server) historyWindow(r *http.Request) (from, to time.Time, err error) {
	q := r.URL.Query()
	to = s.Clock.Now().Add(time.Minute)
	if v := q.Get("to"); v != "" {
		if to, err = rotafile.ParseTime(v, time.UTC); err != nil {
			return from, to, errorf(http.StatusBadRequest, "to: %v", err)
		}
	}
	if v := q.Get("from"); v != "" {
		if from, err = rotafile.ParseTime(v, time.UTC); err != nil {
			return from, to, errorf(http.StatusBadRequest, "from: %v", err)
		}
	}
	if !to.After(from) {
		return from, to, errorf(http.StatusBadRequest, "to must be after from")
	}
	return from, to, nil
}

func queryLimit(r *http.Request) (int, error) {
	limit := DefaultLimit
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			return 0, errorf(http.StatusBadRequest, "limit must be 1..%d", MaxLimit)
		}
		limit = n
	}
	return limit, nil
}

// history lists the summaries of retired alerts created in [from, to),
// newest first.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	from, to, err := s.historyWindow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryLimit(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	team := r.URL.Query().Get("team")
	found, err := s.Store.HistoryRange(r.Context(), from, to, func(h *store.Summary) bool { return team == "" || h.Team == team }, limit+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := AlertList{Alerts: make([]Alert, 0, len(found))}
	now := s.Clock.Now()
	for _, h := range found {
		out.Alerts = append(out.Alerts, AlertOfSummary(h, now))
	}
	if len(out.Alerts) > limit {
		out.Alerts, out.Truncated = out.Alerts[:limit], true
		// The next page ends where this one did: to is exclusive.
		out.NextCursor = out.Alerts[limit-1].CreatedAt.Time.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, out)
}

// archive finds retired alerts' full records in the archive: one by id,
// or those created in [from, to) of a team whose summary, details or
// timeline contain text (case-insensitive).
func (s *Server) archive(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := AlertList{Alerts: []Alert{}}
	if v := q.Get("id"); v != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
		if err != nil || id <= 0 {
			s.fail(w, r, errorf(http.StatusBadRequest, "id %q is not a number", v))
			return
		}
		a, err := s.Store.Archived(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, s.notArchived(r, id))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out.Alerts = append(out.Alerts, archivedView(a))
		writeJSON(w, http.StatusOK, out)
		return
	}
	from, to, err := s.historyWindow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	team, text := q.Get("team"), strings.ToLower(q.Get("text"))
	now := s.Clock.Now()
	var fetchErr error
	// Walk the summaries (small, time-indexed) and open only the archives
	// that may match.
	_, err = s.Store.HistoryRange(r.Context(), from, to, func(h *store.Summary) bool {
		if len(out.Alerts) > limit || fetchErr != nil || (team != "" && h.Team != team) || h.ArchiveUntil.IsZero() || !now.Before(h.ArchiveUntil) {
			return false
		}
		a, err := s.Store.ArchivedOf(r.Context(), h)
		if errors.Is(err, store.ErrNotFound) {
			return false // expired between the summary and now
		}
		if err != nil {
			fetchErr = err
			return false
		}
		if text != "" && !mentions(a, text) {
			return false
		}
		out.Alerts = append(out.Alerts, archivedView(a))
		return true
	}, limit+1)
	if err == nil {
		err = fetchErr
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(out.Alerts) > limit {
		out.Alerts, out.Truncated = out.Alerts[:limit], true
		out.NextCursor = out.Alerts[limit-1].CreatedAt.Time.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, out)
}

// notArchived says why an alert is not in the archive.
func (s *Server) notArchived(r *http.Request, id int64) error {
	if _, err := s.Store.Get(r.Context(), id); err == nil {
		return errorf(http.StatusNotFound, "alert %d is not retired: pagerd alert %d shows it in full", id, id)
	}
	if h, err := s.Store.History(r.Context(), id); err == nil {
		return errorf(http.StatusNotFound, "alert %d is not in the archive: %s", id, AlertOfSummary(h, s.Clock.Now()).Retired.Note)
	}
	return errorf(http.StatusNotFound, "alert %d: no such alert, in the live keyspace, the history or the archive", id)
}

func archivedView(a *store.Alert) Alert {
	v := AlertOf(a, true)
	v.Escalation.Pending = nil // nothing is pending for a retired alert
	return v
}

func mentions(a *store.Alert, text string) bool {
	if strings.Contains(strings.ToLower(a.Summary), text) || strings.Contains(strings.ToLower(a.Details), text) ||
		strings.Contains(strings.ToLower(a.DedupKey), text) {
		return true
	}
	for _, e := range a.Timeline {
		if strings.Contains(strings.ToLower(e.Text), text) {
			return true
		}
	}
	return false
}
