package api

import (
	"cmp"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/ingest"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timefmt"
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
	// Operators may use the operator API, each with their own token and
	// role; APIToken, if set, is one more: an admin named SharedTokenName.
	// A token is required (as "Authorization: Bearer ...") for the operator
	// API and for native alerts that name a team instead of carrying an
	// integration key. With neither, nobody is asked for one: app allows
	// that only on loopback (or with --insecure-no-auth).
	Operators []Operator
	APIToken  string
	// Ready reports, subsystem by subsystem, whether this node can serve
	// (for /readyz): the node is ready when every Required check is OK.
	Ready func(ctx context.Context) []Check
	// Metrics, if set, is served at /metrics.
	Metrics http.Handler
	// CalendarSecret, if set, serves calendar feeds, each behind a token
	// derived from it (see CalendarToken).
	CalendarSecret []byte
	// Twilio, if set, checks the signatures of Twilio's webhooks, which
	// are then served: replies, keypresses and delivery reports.
	Twilio *twilio.Notifier
	// IntakeRate and IntakeBurst are each sender's token bucket: alerts a
	// second, and at once. A sender is an integration key, or an operator
	// naming teams. 0 IntakeRate: no limit.
	IntakeRate  float64
	IntakeBurst int

	receive func(context.Context, []string, []alerts.Event) ([]alerts.Result, error) // tests: Alerts.ReceiveAll
	authn   auth
	limits  *intakeLimits // nil: no limit
}

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	if s.Clock == nil {
		s.Clock = clock.Real{}
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.authn = s.auth()
	s.limits = newIntakeLimits(s.IntakeRate, s.IntakeBurst)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/alerts", s.postNative)
	mux.HandleFunc("POST /api/v1/integrations/alertmanager", s.postAlertmanager)
	mux.HandleFunc("POST /api/v1/integrations/pagerduty", s.postPagerDuty)
	mux.HandleFunc("GET /api/v1/alerts", s.operator(s.listAlerts))
	mux.HandleFunc("GET /api/v1/alerts/{id}", s.operator(s.getAlert))
	mux.HandleFunc("POST /api/v1/alerts/{id}/{action}", s.responder(s.alertAction))
	mux.HandleFunc("POST /api/v1/alerts/{id}/page", s.responder(s.pageTeam))
	mux.HandleFunc("POST /api/v1/alerts/{id}/major", s.responder(s.declareMajor))
	mux.HandleFunc("POST /api/v1/drills", s.responder(s.postDrill))
	mux.HandleFunc("GET /api/v1/directory", s.operator(s.directory))
	mux.HandleFunc("GET /api/v1/history", s.operator(s.history))
	mux.HandleFunc("GET /api/v1/archive", s.operator(s.archive))
	mux.HandleFunc("GET /api/v1/oncall", s.operator(s.onCall))
	mux.HandleFunc("GET /api/v1/reports/oncall", s.operator(s.payReport))
	mux.HandleFunc("GET /api/v1/reports/health", s.operator(s.healthReport))
	mux.HandleFunc("POST /api/v1/ledger/corrections", s.admin(s.correctLedger))
	mux.HandleFunc("GET /api/v1/admin/snapshot", s.admin(s.snapshot))
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
		mux.HandleFunc("GET /api/v1/calendar-urls", s.admin(s.calendarURLs))
	}
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, OpenAPI)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.readyz)
	return mux
}

// OpenAPI is the OpenAPI 3.1 document of this API, served at
// /api/v1/openapi.json. openapi_test.go validates real answers against it.
//
//go:embed openapi.json
var OpenAPI string

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
	ae := s.classify(w, r, err)
	writeJSON(w, ae.code, map[string]string{"error": ae.msg})
}

// classify gives err its HTTP status and message, setting Retry-After
// where a retry is the answer and logging what is not the sender's fault.
func (s *Server) classify(w http.ResponseWriter, r *http.Request, err error) *apiError {
	var ae *apiError
	var bad *ingest.BadRequestError
	var tooMany *ingest.TooManyError
	var tooBig *http.MaxBytesError
	var limited *rateLimitedError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &bad):
		ae = &apiError{http.StatusBadRequest, bad.Msg}
	case errors.As(err, &tooMany):
		ae = &apiError{http.StatusRequestEntityTooLarge, tooMany.Msg}
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", limited.RetryAfter())
		ae = &apiError{http.StatusTooManyRequests, limited.msg}
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
	return ae
}

// refuse answers an intake request that stores nothing. A refusal that
// is the sender's doing (4xx) is counted by reason on /metrics and logged
// at WARN, the log rate-limited by the alerts service.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, source string, err error) {
	ae := s.classify(w, r, err)
	reason := ""
	switch ae.code {
	case http.StatusBadRequest:
		reason = alerts.RejectBadRequest
	case http.StatusUnauthorized:
		reason = alerts.RejectUnauthorized
	case http.StatusForbidden:
		reason = alerts.RejectForbidden
	case http.StatusRequestEntityTooLarge:
		reason = alerts.RejectTooLarge
		var tooMany *ingest.TooManyError
		if errors.As(err, &tooMany) {
			reason = alerts.RejectTooMany
		}
	case http.StatusTooManyRequests:
		reason = alerts.RejectRateLimited
	}
	if reason != "" {
		s.Alerts.Reject(source, reason, ae.msg, "path", r.URL.Path, "remote", r.RemoteAddr)
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
// name when the caller may name teams. sender is who sent it, for the
// rate limit: the key (hashed) or the operator.
func (s *Server) teamFor(r *http.Request, rt *inforce.Rota, ev alerts.Event) (team, sender string, err error) {
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
			return "", "", errorf(http.StatusUnauthorized, "unknown integration key")
		}
		if ev.Team != "" && ev.Team != team {
			return "", "", errorf(http.StatusBadRequest, "the integration key belongs to team %q, not %q", team, ev.Team)
		}
		sum := sha256.Sum256([]byte(key))
		return team, "key:" + hex.EncodeToString(sum[:]), nil
	}
	if ev.Team == "" {
		return "", "", errorf(http.StatusUnauthorized, "no integration key: send routing_key, ?key=, or Authorization: Bearer")
	}
	op, ok := s.authn.who(r)
	if !ok {
		return "", "", errorf(http.StatusUnauthorized, "naming a team needs an API token; or send the team's integration key")
	}
	if op.Role < RoleResponder {
		return "", "", errorf(http.StatusForbidden, "naming a team needs the responder role; %s is %s", op.Name, op.Role)
	}
	if _, ok := rt.Team(ev.Team); !ok {
		return "", "", errorf(http.StatusBadRequest, "no team %q in rota r%d", ev.Team, rt.Rev)
	}
	return ev.Team, "operator:" + op.Name, nil
}

// accept checks every event first (its key, its sender's rate limit), so
// a bad one in a batch stores nothing, then stores each. The response is
// 202 only once all are durable. source labels refusals.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, source string, events []alerts.Event, parseErr error) ([]alerts.Result, bool) {
	if parseErr != nil {
		s.refuse(w, r, source, parseErr)
		return nil, false
	}
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	teams := make([]string, len(events))
	senders := map[string]int{}
	for i, ev := range events {
		var sender string
		if teams[i], sender, err = s.teamFor(r, rt, ev); err != nil {
			s.refuse(w, r, source, err)
			return nil, false
		}
		senders[sender]++
	}
	if err := s.limits.take(s.Clock.Now(), senders); err != nil {
		s.refuse(w, r, source, err)
		return nil, false
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
		s.refuse(w, r, alerts.SourceAPI, err)
		return
	}
	events, err := ingest.ParseNative(body)
	if err == nil {
		err = idempotent(r, events)
	}
	if results, ok := s.accept(w, r, alerts.SourceAPI, events, err); ok {
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
		s.refuse(w, r, alerts.SourceAlertmanager, err)
		return
	}
	events, err := ingest.ParseAlertmanager(body)
	if results, ok := s.accept(w, r, alerts.SourceAlertmanager, events, err); ok {
		writeJSON(w, http.StatusAccepted, map[string]any{"alerts": results})
	}
}

func (s *Server) postPagerDuty(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.refuse(w, r, alerts.SourcePagerDuty, err)
		return
	}
	events, err := ingest.ParsePagerDuty(body)
	if results, ok := s.accept(w, r, alerts.SourcePagerDuty, events, err); ok {
		// The shape PagerDuty's own API answers with, so its clients work.
		res := results[0]
		writeJSON(w, http.StatusAccepted, map[string]any{
			"status": "success", "message": "Event processed", "dedup_key": res.DedupKey,
			"alert_id": res.AlertID, "outcome": res.Status,
		})
	}
}

// Page sizes of GET /api/v1/alerts.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	team := q.Get("team")
	limit := DefaultLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			s.fail(w, r, errorf(http.StatusBadRequest, "limit must be 1..%d", MaxLimit))
			return
		}
		limit = n
	}
	var before int64
	if c := q.Get("cursor"); c != "" {
		// The cursor is the id of the last alert of the previous page; it
		// is opaque to callers so that it may change.
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 1 {
			s.fail(w, r, errorf(http.StatusBadRequest, "cursor %q is not one this server gave out (next_cursor)", c))
			return
		}
		before = n
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
	// One more than a page tells whether there is more.
	found, err := s.Store.ListBefore(r.Context(), before, func(a *store.Alert) bool {
		return (team == "" || a.Team == team) && keep(a)
	}, limit+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	views := make([]Alert, 0, len(found))
	for _, a := range found {
		views = append(views, AlertOf(a, false))
	}
	if state == "all" || state == string(escalation.StatusResolved) {
		// Retired alerts were resolved: their summaries belong in the
		// list, in id order among the others.
		old, err := s.Store.HistoryBefore(r.Context(), before, func(h *store.Summary) bool { return team == "" || h.Team == team }, limit+1)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		now := s.Clock.Now()
		for _, h := range old {
			views = append(views, AlertOfSummary(h, now))
		}
		slices.SortFunc(views, func(a, b Alert) int { return cmp.Compare(b.ID, a.ID) })
	}
	out := AlertList{Alerts: views}
	if len(views) > limit {
		out.Alerts = views[:limit]
		out.Truncated = true
		out.NextCursor = strconv.FormatInt(out.Alerts[limit-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
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
	if errors.Is(err, store.ErrNotFound) {
		// Retired: its summary stays, and says where the timeline went.
		sum, herr := s.Store.History(r.Context(), id)
		if herr == nil {
			writeJSON(w, http.StatusOK, AlertOfSummary(sum, s.Clock.Now()))
			return
		}
		if !errors.Is(herr, store.ErrNotFound) {
			err = herr
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, AlertOf(a, true))
	case "markdown":
		// The team's zone, when the team is still in the rota; UTC beside it
		// either way.
		loc := time.UTC
		if rt, err := s.rota(); err == nil {
			if t, ok := rt.Team(a.Team); ok {
				loc = t.Location
			}
		}
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if _, err := io.WriteString(w, report.TimelineMarkdown(a, loc)); err != nil {
			s.Log.Warn("alert timeline: writing the answer failed", "alert", a.ID, "err", err)
		}
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "format must be json or markdown"))
	}
}

// ActionRequest is the optional body of ack, resolve and escalate. By is
// accepted for older clients and ignored: the actor is the operator the
// token authenticates, never what the caller writes.
type ActionRequest struct {
	By string `json:"by,omitempty"`
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
	by := operatorOf(r).Name
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
	writeJSON(w, http.StatusOK, AlertOf(a, true))
}

// teamTime shows an instant in the alert's team's zone.
func (s *Server) teamTime(a *store.Alert, t time.Time) string {
	loc := time.UTC
	if rt := s.Rota.Get(); rt != nil && a != nil {
		if team, ok := rt.Team(a.Team); ok {
			loc = team.Location
		}
	}
	return timefmt.People(t, loc)
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
	rows := []OnCallRow{}
	for _, t := range teams {
		at := s.Clock.Now()
		if v := r.URL.Query().Get("at"); v != "" {
			if at, err = rotafile.ParseTime(v, t.Location); err != nil {
				s.fail(w, r, errorf(http.StatusBadRequest, "at: %v", err))
				return
			}
		}
		rows = append(rows, WhoRows(t.ID, t.Schedule.Who(at))...)
	}
	writeJSON(w, http.StatusOK, OnCall{RotaRev: rt.Rev, OnCall: rows})
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

// Check is one subsystem's state for /readyz.
type Check struct {
	Name  string // etcd, leader, rota, mailbox INBOX
	OK    bool
	State string // ok, failing, not watched here, ...
	// Reason says why it isn't OK, or details of an OK state.
	Reason string
	// Required: the node is unready while it fails. A mailbox isn't: the
	// HTTP intake still works, and a load balancer taking the node out of
	// service would not bring the mail server back.
	Required bool
}

// readyz answers 200 "ready" or 503 "not ready: why". With ?verbose it
// lists every subsystem, one a line, [+] or [-], required or not.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	var checks []Check
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks = s.Ready(ctx)
	}
	var failed []string
	for _, c := range checks {
		if c.Required && !c.OK {
			failed = append(failed, c.Name+": "+c.Reason)
		}
	}
	code, verdict := http.StatusOK, "ready"
	if len(failed) > 0 {
		code, verdict = http.StatusServiceUnavailable, "not ready: "+strings.Join(failed, "; ")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if _, verbose := r.URL.Query()["verbose"]; verbose {
		for _, c := range checks {
			mark := "[+]"
			if !c.OK {
				mark = "[-]"
			}
			line := mark + " " + c.Name + ": " + c.State
			if c.Reason != "" {
				line += ": " + c.Reason
			}
			if !c.OK && !c.Required {
				line += " (does not make this node unready)"
			}
			io.WriteString(w, line+"\n")
		}
	}
	io.WriteString(w, verdict+"\n")
}
