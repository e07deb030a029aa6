package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/ingest"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
)

// Server is pagerd's HTTP API: alerts in (native JSON, Alertmanager,
// PagerDuty Events v2) and the operator API the CLI uses. Every node
// serves it; any node can accept an alert.
type Server struct {
	Store  *store.Store
	Alerts *alerts.Service
	Rota   *inforce.Current
	Clock  clock.Clock
	Log    *slog.Logger
	// APIToken, if set, is required (as "Authorization: Bearer ...") for
	// the operator API and for native alerts that name a team instead of
	// carrying an integration key.
	APIToken string
	// Ready reports whether this node can serve (for /readyz).
	Ready func(ctx context.Context) error
	// Metrics, if set, is served at /metrics.
	Metrics http.Handler
	// CalendarSecret, if set, serves calendar feeds, each behind a token
	// derived from it (see CalendarToken).
	CalendarSecret []byte
	// Twilio, if set, checks the signatures of Twilio's webhooks, which
	// are then served: replies, keypresses and delivery reports.
	Twilio *twilio.Notifier

	receive func(context.Context, []string, []alerts.Event) ([]alerts.Result, error) // tests: Alerts.ReceiveAll
}

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	if s.Clock == nil {
		s.Clock = clock.Real{}
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/alerts", s.postNative)
	mux.HandleFunc("POST /api/v1/integrations/alertmanager", s.postAlertmanager)
	mux.HandleFunc("POST /api/v1/integrations/pagerduty", s.postPagerDuty)
	mux.HandleFunc("GET /api/v1/alerts", s.operator(s.listAlerts))
	mux.HandleFunc("GET /api/v1/alerts/{id}", s.operator(s.getAlert))
	mux.HandleFunc("POST /api/v1/alerts/{id}/{action}", s.operator(s.alertAction))
	mux.HandleFunc("GET /api/v1/oncall", s.operator(s.onCall))
	mux.HandleFunc("GET /api/v1/reports/oncall", s.operator(s.payReport))
	mux.HandleFunc("POST /api/v1/ledger/corrections", s.operator(s.correctLedger))
	mux.HandleFunc("GET /api/v1/admin/snapshot", s.operator(s.snapshot))
	if s.Twilio != nil {
		mux.HandleFunc("POST /twilio/sms", s.twilioSMS)
		mux.HandleFunc("POST "+twilio.GatherPath, s.twilioGather)
		mux.HandleFunc("POST "+twilio.StatusPath, s.twilioStatus)
	}
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	if len(s.CalendarSecret) > 0 {
		mux.HandleFunc("GET /api/v1/calendar/{kind}/{file}", s.calendarFeed)
		mux.HandleFunc("GET /api/v1/calendar-urls", s.operator(s.calendarURLs))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.readyz)
	return mux
}

// apiError is an error with its HTTP status.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &apiError{code, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var bad *ingest.BadRequestError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &bad):
		ae = &apiError{http.StatusBadRequest, bad.Msg}
	case errors.As(err, &tooBig):
		ae = &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, store.ErrNotFound):
		ae = &apiError{http.StatusNotFound, err.Error()}
	case errors.Is(err, alerts.ErrNoRota):
		w.Header().Set("Retry-After", "5")
		ae = &apiError{http.StatusServiceUnavailable, "pagerd has no rota loaded yet; nothing was stored: retry"}
	default:
		// Not the sender's fault. The write may or may not have reached
		// etcd (a timeout says nothing about whether it committed), so say
		// so: a retry with the same dedup key is safe either way.
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "1")
		ae = &apiError{http.StatusServiceUnavailable, unknownOutcome(err)}
	}
	writeJSON(w, ae.code, map[string]string{"error": ae.msg})
}

// unknownOutcome is what a sender is told when storing failed part-way.
func unknownOutcome(err error) string {
	return "pagerd could not confirm that this was stored (" + err.Error() + "); it may have been: retry with the same dedup_key (or Idempotency-Key header), which is safe either way"
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (s *Server) tokenOK(r *http.Request) bool {
	if s.APIToken == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.APIToken)) == 1
}

func (s *Server) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong API token (Authorization: Bearer ...)"})
			return
		}
		h(w, r)
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ingest.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, "reading body: %v", err)
	}
	return body, nil
}

func (s *Server) rota() (*inforce.Rota, error) {
	r := s.Rota.Get()
	if r == nil {
		return nil, errorf(http.StatusServiceUnavailable, "no rota loaded yet; retry")
	}
	return r, nil
}

// teamFor decides which team an event is for: by integration key, or by
// name when the caller may name teams.
func (s *Server) teamFor(r *http.Request, rt *inforce.Rota, ev alerts.Event) (string, error) {
	key := ev.RoutingKey
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if key == "" && ev.Team == "" {
		key = bearer(r)
	}
	if key != "" {
		team, ok := rt.TeamForKey(key)
		if !ok {
			return "", errorf(http.StatusUnauthorized, "unknown integration key")
		}
		if ev.Team != "" && ev.Team != team {
			return "", errorf(http.StatusBadRequest, "the integration key belongs to team %q, not %q", team, ev.Team)
		}
		return team, nil
	}
	if ev.Team == "" {
		return "", errorf(http.StatusUnauthorized, "no integration key: send routing_key, ?key=, or Authorization: Bearer")
	}
	if !s.tokenOK(r) {
		return "", errorf(http.StatusUnauthorized, "naming a team needs the API token; or send the team's integration key")
	}
	if _, ok := rt.Team(ev.Team); !ok {
		return "", errorf(http.StatusBadRequest, "no team %q in rota r%d", ev.Team, rt.Rev)
	}
	return ev.Team, nil
}

// accept checks every event first, so a bad one in a batch stores nothing,
// then stores each. The response is 202 only once all are durable.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, events []alerts.Event, parseErr error) ([]alerts.Result, bool) {
	if parseErr != nil {
		s.fail(w, r, parseErr)
		return nil, false
	}
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	teams := make([]string, len(events))
	for i, ev := range events {
		if teams[i], err = s.teamFor(r, rt, ev); err != nil {
			s.fail(w, r, err)
			return nil, false
		}
	}
	receive := s.Alerts.ReceiveAll
	if s.receive != nil {
		receive = s.receive
	}
	// The events of one request arrived together: they are paged together
	// (one message per person), not the first now and the rest later.
	stored, err := receive(r.Context(), teams, events)
	if err == nil {
		return stored, true
	}
	i := 0
	var be *alerts.BatchError
	if errors.As(err, &be) {
		i, err = be.Index, be.Err
	}
	if len(events) == 1 {
		s.fail(w, r, err)
		return nil, false
	}
	// Answer per event: those before are stored, this one may be, the
	// rest were not tried. Never "nothing accepted" when some were.
	s.Log.Error("batch stored part-way", "path", r.URL.Path, "stored", i, "of", len(events), "err", err)
	results := make([]alerts.Result, len(events))
	copy(results, stored[:min(i, len(stored))])
	results[i] = alerts.Result{Status: "unknown", DedupKey: events[i].DedupKey, Message: unknownOutcome(err)}
	for j := i + 1; j < len(events); j++ {
		results[j] = alerts.Result{Status: "not_stored", DedupKey: events[j].DedupKey, Message: "not tried after an earlier alert in the batch failed: retry"}
	}
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{
		"error":  fmt.Sprintf("%d of %d alerts stored; alert %d: %s", i, len(events), i, unknownOutcome(err)),
		"alerts": results,
	})
	return nil, false
}

func (s *Server) postNative(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := ingest.ParseNative(body)
	if err == nil {
		err = idempotent(r, events)
	}
	if results, ok := s.accept(w, r, events, err); ok {
		writeJSON(w, http.StatusAccepted, map[string]any{"alerts": results})
	}
}

// idempotent gives native alerts without a dedup_key one made from the
// request's Idempotency-Key header, so that a retried request (after a
// timeout or a 503) finds the alert it stored the first time instead of
// paging twice.
func idempotent(r *http.Request, events []alerts.Event) error {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return nil
	}
	if len(key) > 200 || strings.ContainsFunc(key, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return errorf(http.StatusBadRequest, "Idempotency-Key must be at most 200 characters without spaces or control characters")
	}
	for i := range events {
		if events[i].DedupKey != "" {
			continue
		}
		events[i].DedupKey = "idempotency:" + key
		if len(events) > 1 {
			events[i].DedupKey += ":" + strconv.Itoa(i)
		}
	}
	return nil
}

func (s *Server) postAlertmanager(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := ingest.ParseAlertmanager(body)
	if results, ok := s.accept(w, r, events, err); ok {
		writeJSON(w, http.StatusAccepted, map[string]any{"alerts": results})
	}
}

func (s *Server) postPagerDuty(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := ingest.ParsePagerDuty(body)
	if results, ok := s.accept(w, r, events, err); ok {
		// The shape PagerDuty's own API answers with, so its clients work.
		res := results[0]
		writeJSON(w, http.StatusAccepted, map[string]any{
			"status": "success", "message": "Event processed", "dedup_key": res.DedupKey,
			"alert_id": res.AlertID, "outcome": res.Status,
		})
	}
}

// AlertView is an alert as the API shows it.
type AlertView struct {
	*store.Alert
	Status escalation.Status `json:"status"`
	// Urgency is high or low; HeldUntil, while a low-urgency alert waits
	// for business hours, is when it will page.
	Urgency   escalation.Urgency `json:"urgency"`
	HeldUntil *time.Time         `json:"held_until,omitempty"`
}

func view(a *store.Alert, timeline bool) AlertView {
	if !timeline {
		c := *a
		c.Timeline = nil
		c.Esc.Pending, c.Esc.Paged = nil, nil
		c.Esc.StepSends = nil
		a = &c
	}
	v := AlertView{Alert: a, Status: a.Status(), Urgency: escalation.High}
	if a.Esc.Urgency == escalation.Low {
		v.Urgency = escalation.Low
	}
	if a.Esc.Held() {
		t := a.Esc.HeldUntil
		v.HeldUntil = &t
	}
	return v
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	team := q.Get("team")
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10000 {
			s.fail(w, r, errorf(http.StatusBadRequest, "limit must be 1..10000"))
			return
		}
		limit = n
	}
	var keep func(*store.Alert) bool
	switch state {
	case "open":
		keep = func(a *store.Alert) bool { return a.Status() != escalation.StatusResolved }
	case "all":
		keep = func(*store.Alert) bool { return true }
	case string(escalation.StatusTriggered), string(escalation.StatusAcknowledged), string(escalation.StatusResolved):
		keep = func(a *store.Alert) bool { return string(a.Status()) == state }
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "state must be open, triggered, acknowledged, resolved or all"))
		return
	}
	alerts, err := s.Store.List(r.Context(), func(a *store.Alert) bool {
		return (team == "" || a.Team == team) && keep(a)
	}, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]AlertView, len(alerts))
	for i, a := range alerts {
		out[i] = view(a, false)
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

func alertID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("id"), "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusBadRequest, "alert id %q is not a number", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	id, err := alertID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Store.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(a, true))
}

// ActionRequest is the optional body of ack, resolve and escalate.
type ActionRequest struct {
	By string `json:"by"`
}

func (s *Server) alertAction(w http.ResponseWriter, r *http.Request) {
	id, err := alertID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req ActionRequest
	if len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "body: %v (want {\"by\": \"name\"})", err))
			return
		}
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		by = "api"
	}
	if len(by) > alerts.MaxBy {
		s.fail(w, r, errorf(http.StatusBadRequest, "by is longer than %d characters", alerts.MaxBy))
		return
	}
	var ev escalation.Event
	switch r.PathValue("action") {
	case "ack", "acknowledge":
		ev = escalation.Ack{By: by}
	case "resolve":
		ev = escalation.Resolve{By: by}
	case "escalate":
		ev = escalation.EscalateNow{By: by}
	case "urgent":
		ev = escalation.Raise{By: by}
	default:
		s.fail(w, r, errorf(http.StatusNotFound, "unknown action %q: use ack, resolve, escalate or urgent", r.PathValue("action")))
		return
	}
	a, err := s.Alerts.Act(r.Context(), id, ev)
	var already *escalation.AlreadyError
	switch {
	case errors.As(err, &already):
		s.fail(w, r, errorf(http.StatusConflict, "%d was already %s by %s at %s", id, already.Status, already.By, s.teamTime(a, already.At)))
		return
	case errors.Is(err, escalation.ErrNoFurtherStep):
		s.fail(w, r, errorf(http.StatusConflict, "%d: no further step to escalate to", id))
		return
	case errors.Is(err, escalation.ErrAlreadyHigh):
		s.fail(w, r, errorf(http.StatusConflict, "%d is already high urgency", id))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	// Show the whole timeline, sends recorded beside the alert included.
	if full, err := s.Store.Get(r.Context(), id); err == nil {
		a = full
	}
	writeJSON(w, http.StatusOK, view(a, true))
}

// teamTime shows an instant in the alert's team's zone.
func (s *Server) teamTime(a *store.Alert, t time.Time) string {
	loc := time.UTC
	if rt := s.Rota.Get(); rt != nil && a != nil {
		if team, ok := rt.Team(a.Team); ok {
			loc = team.Location
		}
	}
	return t.In(loc).Format("15:04 MST")
}

// OnCallRow is one role holder or shadow in /api/v1/oncall.
type OnCallRow struct {
	Team   string    `json:"team"`
	Role   string    `json:"role"`
	Person string    `json:"person,omitempty"`
	Shadow bool      `json:"shadow,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	Until  time.Time `json:"until,omitzero"`
	Source string    `json:"source,omitempty"`
}

func (s *Server) onCall(w http.ResponseWriter, r *http.Request) {
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	teams := rt.Teams
	if name := r.URL.Query().Get("team"); name != "" {
		t, ok := rt.Team(name)
		if !ok {
			s.fail(w, r, errorf(http.StatusNotFound, "no team %q", name))
			return
		}
		teams = []*rotafile.Team{t}
	}
	var rows []OnCallRow
	for _, t := range teams {
		at := s.Clock.Now()
		if v := r.URL.Query().Get("at"); v != "" {
			if at, err = rotafile.ParseTime(v, t.Location); err != nil {
				s.fail(w, r, errorf(http.StatusBadRequest, "at: %v", err))
				return
			}
		}
		for _, oc := range t.Schedule.Who(at) {
			row := OnCallRow{Team: t.ID, Role: oc.Role}
			if oc.Holder != nil {
				row.Person, row.Since, row.Until, row.Source = oc.Holder.Person, oc.Holder.Start, oc.Holder.End, string(oc.Holder.Source)
			}
			rows = append(rows, row)
			for _, sh := range oc.Shadows {
				rows = append(rows, OnCallRow{Team: t.ID, Role: oc.Role, Person: sh.Person, Shadow: true, Since: sh.Start, Until: sh.End, Source: string(sh.Source)})
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rota_rev": rt.Rev, "oncall": rows})
}

// snapshot streams an etcd snapshot: pagerd snapshot save FILE.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	n, err := s.Store.Snapshot(r.Context(), w)
	if err != nil {
		s.Log.Error("snapshot failed", "err", err, "bytes", n)
		if n == 0 {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
		return
	}
	s.Log.Info("snapshot taken", "bytes", n)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	io.WriteString(w, "ready\n")
}
