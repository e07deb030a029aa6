package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timefmt"
)

// The Alerts pages: a list filtered by team and state, and an alert with
// its live timeline and its buttons.

// pageSize is how many alerts a list shows at once.
const pageSize = 50

// States a list can be filtered by, as the API names them.
var states = []string{"open", "triggered", "acknowledged", "resolved", "all"}

type alertListPage struct {
	Team, State string
	Teams       []string
	States      []string
	Alerts      []alertRow
	Older       string // the query of the next page, "" when none
	LiveURL     string
}

type alertRow struct {
	ID        int64
	Team      string
	Status    string
	Summary   string
	Created   string
	AckedBy   string
	Count     int
	Urgency   string
	HeldUntil string
}

func (c *Console) alertList(w http.ResponseWriter, r *http.Request, s *session) error {
	rt, err := c.rotaInForce()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := alertListPage{Team: q.Get("team"), State: q.Get("state"), States: states}
	if p.State == "" {
		p.State = "open"
	}
	for _, t := range rt.Teams {
		p.Teams = append(p.Teams, t.ID)
	}
	keep, ok := stateFilter(p.State)
	if !ok {
		return badRequest("state must be open, triggered, acknowledged, resolved or all")
	}
	var before int64
	if cur := q.Get("before"); cur != "" {
		if before, err = strconv.ParseInt(cur, 10, 64); err != nil || before < 1 {
			return badRequest("before must be an alert id")
		}
	}
	found, err := c.Store.ListBefore(r.Context(), before, func(a *store.Alert) bool {
		return (p.Team == "" || a.Team == p.Team) && keep(a)
	}, pageSize+1)
	if err != nil {
		return err
	}
	if len(found) > pageSize {
		found = found[:pageSize]
		older := withParam(q, "before", strconv.FormatInt(found[len(found)-1].ID, 10))
		p.Older = "/alerts?" + older
	}
	for _, a := range found {
		p.Alerts = append(p.Alerts, rowOf(rt, a))
	}
	live := withParam(q, "live", "1")
	p.LiveURL = "/alerts?" + live
	v := c.viewOf(s, "Alerts", "alerts")
	v.Body = p
	page := "alerts.html"
	if q.Get("live") != "" {
		page += ".part"
	}
	c.render(w, r, http.StatusOK, page, v, nil)
	return nil
}

func stateFilter(state string) (func(*store.Alert) bool, bool) {
	switch state {
	case "open":
		return func(a *store.Alert) bool { return a.Status() != escalation.StatusResolved }, true
	case "all":
		return func(*store.Alert) bool { return true }, true
	case string(escalation.StatusTriggered), string(escalation.StatusAcknowledged), string(escalation.StatusResolved):
		return func(a *store.Alert) bool { return string(a.Status()) == state }, true
	}
	return nil, false
}

func teamZone(rt *inforce.Rota, team string) *time.Location {
	if t, ok := rt.Team(team); ok {
		return t.Location
	}
	return time.UTC
}

func rowOf(rt *inforce.Rota, a *store.Alert) alertRow {
	loc := teamZone(rt, a.Team)
	row := alertRow{ID: a.ID, Team: a.Team, Status: string(a.Status()), Summary: a.Summary,
		Created: timefmt.People(a.CreatedAt, loc), AckedBy: a.Esc.AckedBy, Count: a.Count, Urgency: string(escalation.High)}
	if a.Esc.Urgency == escalation.Low {
		row.Urgency = string(escalation.Low)
	}
	if a.Esc.Held() {
		row.HeldUntil = timefmt.People(a.Esc.HeldUntil, loc)
	}
	return row
}

type alertPage struct {
	alertRow
	Details, DedupKey, Severity, Source, Origin string
	Links                                       []string
	LastSeen, Updated                           string
	Pass, Step                                  int
	StepDeadline                                string
	Exhausted                                   bool
	AckedAt, ResolvedBy, ResolvedAt             string
	Pending                                     []pendingRow
	Timeline                                    []entryRow
	CanAck, CanResolve, CanEscalate, CanUrgent  bool
	LiveURL                                     string
	Done                                        string
}

type pendingRow struct {
	Person, Role, Method, Due string
	Shadow                    bool
}

type entryRow struct {
	At, Kind, Text, By string
}

func alertID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest(fmt.Sprintf("alert id %q is not a number", r.PathValue("id")))
	}
	return id, nil
}

func (c *Console) alertView(r *http.Request) (alertPage, error) {
	rt, err := c.rotaInForce()
	if err != nil {
		return alertPage{}, err
	}
	id, err := alertID(r)
	if err != nil {
		return alertPage{}, err
	}
	a, err := c.Store.Get(r.Context(), id)
	if err != nil {
		return alertPage{}, err
	}
	loc := teamZone(rt, a.Team)
	e := a.Esc
	p := alertPage{alertRow: rowOf(rt, a), Details: a.Details, DedupKey: a.DedupKey, Severity: a.Severity,
		Source: a.Source, Origin: a.Origin, Links: a.Links,
		LastSeen: timefmt.PeopleSeconds(a.LastSeenAt, loc), Updated: timefmt.PeopleSeconds(a.UpdatedAt, loc),
		Pass: e.Pass + 1, Step: e.Step + 1, Exhausted: e.Exhausted, ResolvedBy: e.ResolvedBy,
		LiveURL: "/alerts/" + strconv.FormatInt(id, 10) + "/live"}
	if !e.StepDeadline.IsZero() {
		p.StepDeadline = timefmt.PeopleSeconds(e.StepDeadline, loc)
	}
	if !e.AckedAt.IsZero() {
		p.AckedAt = timefmt.PeopleSeconds(e.AckedAt, loc)
	}
	if !e.ResolvedAt.IsZero() {
		p.ResolvedAt = timefmt.PeopleSeconds(e.ResolvedAt, loc)
	}
	for _, pd := range e.Pending {
		p.Pending = append(p.Pending, pendingRow{Person: pd.Person, Role: pd.Role, Method: string(pd.Method), Due: timefmt.PeopleSeconds(pd.Due, loc), Shadow: pd.Shadow})
	}
	for _, t := range a.Timeline {
		e := entryRow{At: timefmt.PeopleSeconds(t.At, loc), Kind: t.Kind, Text: t.Text, By: t.By}
		if strings.Contains(e.Text, e.By) {
			e.By = "" // "acknowledged by rita" says it already
		}
		p.Timeline = append(p.Timeline, e)
	}
	st := a.Status()
	p.CanAck = st == escalation.StatusTriggered
	p.CanResolve = st != escalation.StatusResolved
	p.CanEscalate = st != escalation.StatusResolved && !e.Exhausted
	p.CanUrgent = st != escalation.StatusResolved && e.Urgency == escalation.Low
	return p, nil
}

// doneText are the words shown after a button worked without a script.
var doneText = map[string]string{"ack": "Acknowledged.", "resolve": "Resolved.", "escalate": "Escalated to the next step.",
	"urgent": "Made high urgency: it pages now."}

func (c *Console) alert(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := c.alertView(r)
	if err != nil {
		return err
	}
	p.Done = doneText[r.URL.Query().Get("done")]
	v := c.viewOf(s, fmt.Sprintf("Alert %d", p.ID), "alerts")
	v.Body = p
	c.render(w, r, http.StatusOK, "alert.html", v, nil)
	return nil
}

// alertLive is the live part of the alert page: its state, its buttons
// and its timeline, fetched by the page's script.
func (c *Console) alertLive(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := c.alertView(r)
	if err != nil {
		return err
	}
	v := c.viewOf(s, "", "alerts")
	v.Body = p
	c.render(w, r, http.StatusOK, "alert.html.part", v, nil)
	return nil
}

// act is a button: acknowledge, resolve or escalate, as the signed-in
// operator. The page's script posts it and shows the answer in place; a
// browser without the script gets the alert page again.
func (c *Console) act(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := alertID(r)
	if err != nil {
		return err
	}
	by := s.op.Name
	action := r.PostFormValue("action")
	var ev escalation.Event
	switch action {
	case "ack":
		ev = escalation.Ack{By: by}
	case "resolve":
		ev = escalation.Resolve{By: by}
	case "escalate":
		ev = escalation.EscalateNow{By: by}
	case "urgent":
		ev = escalation.Raise{By: by}
	default:
		return badRequest("unknown action: use ack, resolve, escalate or urgent")
	}
	_, err = c.Alerts.Act(r.Context(), id, ev)
	var already *escalation.AlreadyError
	msg, code := doneText[action], http.StatusOK
	switch {
	case errors.As(err, &already):
		msg, code = fmt.Sprintf("Alert %d was already %s by %s.", id, already.Status, already.By), http.StatusConflict
	case errors.Is(err, escalation.ErrNoFurtherStep):
		msg, code = fmt.Sprintf("Alert %d has no further step to escalate to.", id), http.StatusConflict
	case errors.Is(err, escalation.ErrAlreadyHigh):
		msg, code = fmt.Sprintf("Alert %d is already high urgency.", id), http.StatusConflict
	case err != nil:
		return err
	default:
		c.Log.Info("web: alert action", "alert", id, "action", action, "operator", by)
	}
	if r.Header.Get("X-Pagerd-Live") != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		_, err := w.Write([]byte(msg))
		if err != nil {
			c.Log.Debug("web: writing an answer", "alert", id, "err", err) // the browser went away
		}
		return nil
	}
	if code != http.StatusOK {
		return &httpError{code, msg}
	}
	http.Redirect(w, r, fmt.Sprintf("/alerts/%d?done=%s", id, action), http.StatusSeeOther)
	return nil
}
