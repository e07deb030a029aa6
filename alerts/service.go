// Package alerts is the one home of an alert's life. Its Service is the
// only driver of the escalation state machine: every intake (HTTP, email),
// every answer (SMS reply, keypress, the CLI and API) and the engine (timers,
// failed sends) changes an alert through it. Like raft's node loop, one
// place loads the alert, steps the machine, stores the new state with its
// pages and timer in one transaction, and logs the transition.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/store"
)

// Service changes alerts. Every node runs one; its writes are durable in
// etcd before any method returns.
type Service struct {
	Store *store.Store
	Rota  *inforce.Current
	Clock clock.Clock
	Log   *slog.Logger
	// Received, if set, hears each intake event once its outcome is
	// durable: its source, team and outcome (created, deduplicated, ...).
	Received func(source, team, outcome string)
	// Acked, if set, hears each acknowledgement with how long it took.
	Acked func(after time.Duration)
	// RequestTimeout bounds the etcd work of storing one intake event, so
	// an etcd member that died or paused mid-request costs the sender a
	// quick 503 (and a retry, which the dedup key makes safe) rather than
	// a stall. Default 2s.
	RequestTimeout time.Duration
	// MaxOpenPerTeam caps a team's open alerts: beyond it, a new alert is
	// counted into the team's one open storm alert (see fold) instead of
	// being stored and paged on its own. 0: no cap.
	MaxOpenPerTeam int
	// Rejected, if set, hears each intake refused (see Reject).
	Rejected func(source, reason string)

	rejectLog rejectLog
}

// ErrNoRota is returned before this node has a rota in force.
var ErrNoRota = errors.New("no rota loaded yet; retry")

func (s *Service) rota() (*inforce.Rota, error) {
	r := s.Rota.Get()
	if r == nil {
		return nil, ErrNoRota
	}
	return r, nil
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

// Receive stores one intake event for team: a new alert (paged in the same
// transaction), a repeat counted, or an ack or resolve of the open alert
// with the dedup key. It returns only once the outcome is durable.
func (s *Service) Receive(ctx context.Context, team string, ev Event) (Result, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	ev = Clean(ev)
	rt, err := s.rota()
	if err != nil {
		return Result{}, err
	}
	p, err := s.prepare(ctx, rt, team, ev, s.now())
	if err != nil {
		return Result{}, err
	}
	return s.commit(ctx, p)
}

// opCtx bounds one event's etcd work by RequestTimeout.
func (s *Service) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.RequestTimeout
	if d == 0 {
		d = 2 * time.Second
	}
	return context.WithTimeout(ctx, d)
}

// BatchError says which event of a batch failed: those before it are
// stored, it may have been, and those after it were not tried.
type BatchError struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string { return fmt.Sprintf("event %d: %v", e.Index, e.Err) }
func (e *BatchError) Unwrap() error { return e.Err }

// ReceiveAll stores events that arrived together (one request: an
// Alertmanager group, a native batch), teams[i] being events[i]'s team.
// The new alerts' first pages to one person by one method are grouped, so
// the engine sends them as one message, not the first now and the rest
// after the person's interval. Events are stored in order; on failure the
// error is a *BatchError and results holds the outcomes before it.
func (s *Service) ReceiveAll(ctx context.Context, teams []string, events []Event) ([]Result, error) {
	results := make([]Result, 0, len(events))
	if len(events) != len(teams) {
		return nil, fmt.Errorf("receive: %d events for %d teams", len(events), len(teams))
	}
	clean := make([]Event, len(events))
	keys := map[string]bool{}
	repeated := false
	for i, ev := range events {
		clean[i] = Clean(ev)
		if k := teams[i] + "\x00" + clean[i].DedupKey; clean[i].DedupKey != "" {
			repeated = repeated || keys[k]
			keys[k] = true
		}
	}
	if repeated || len(events) < 2 {
		// One key twice in a batch (fire, then resolve): its events
		// depend on each other, so they are stored one by one, in order.
		for i, ev := range clean {
			res, err := s.Receive(ctx, teams[i], ev)
			if err != nil {
				return results, &BatchError{i, err}
			}
			results = append(results, res)
		}
		return results, nil
	}
	rt, err := s.rota()
	if err != nil {
		return results, &BatchError{0, err}
	}
	// Decide everything first (reads only), so the pages can be grouped,
	// then store in order. With distinct keys no event of the batch
	// changes what another decides.
	now := s.now()
	ps := make([]*prepared, len(clean))
	for i, ev := range clean {
		pctx, cancel := s.opCtx(ctx)
		ps[i], err = s.prepare(pctx, rt, teams[i], ev, now)
		cancel()
		if err != nil {
			return results, &BatchError{0, err} // nothing stored yet
		}
	}
	var created []*prepared
	for _, p := range ps {
		if p.alert != nil {
			created = append(created, p)
		}
	}
	if len(created) > 1 {
		all := make([][]store.OutboxPage, len(created))
		for i, p := range created {
			all[i] = p.pages
		}
		group(all, fmt.Sprintf("batch-%d", created[0].alert.ID))
	}
	for i, p := range ps {
		cctx, cancel := s.opCtx(ctx)
		res, err := s.commit(cctx, p)
		cancel()
		if err != nil {
			return results, &BatchError{i, err}
		}
		results = append(results, res)
	}
	return results, nil
}

// group marks pages decided together: those to one person by one method,
// when there are several, get one group name and the group's size there.
func group(pages [][]store.OutboxPage, name string) {
	type box struct {
		person string
		method escalation.Method
	}
	n := map[box]int{}
	for _, ps := range pages {
		for _, pg := range ps {
			n[box{pg.Person, pg.Method}]++
		}
	}
	for _, ps := range pages {
		for i := range ps {
			if k := n[box{ps[i].Person, ps[i].Method}]; k > 1 {
				ps[i].Group, ps[i].GroupSize = name, k
			}
		}
	}
}

// prepared is one intake event decided but not yet stored: a new alert
// with its first pages, a repeat of an open one, or an ack or resolve.
type prepared struct {
	team     string
	ev       Event
	now      time.Time
	existing int64        // an open alert has the dedup key: count it
	fold     int64        // the team is over its open-alert cap (this many open): count it into the storm alert
	alert    *store.Alert // a new alert
	pages    []store.OutboxPage
}

// prepare decides what ev does, reading but writing nothing (an alert id
// is taken for a new alert).
func (s *Service) prepare(ctx context.Context, rt *inforce.Rota, team string, ev Event, now time.Time) (*prepared, error) {
	return s.prepareSpecial(ctx, rt, team, ev, now, nil)
}

// prepareSpecial is prepare for an alert the service opens itself (sp not
// nil: a drill, a team pulled in, the commander): no intake can make one.
func (s *Service) prepareSpecial(ctx context.Context, rt *inforce.Rota, team string, ev Event, now time.Time, sp *special) (*prepared, error) {
	p := &prepared{team: team, ev: ev, now: now}
	if ev.Action == Acknowledge || ev.Action == Resolve {
		return p, nil
	}
	if ev.DedupKey != "" {
		id, ok, err := s.Store.OpenByDedup(ctx, team, ev.DedupKey)
		if err != nil {
			return nil, err
		}
		if ok {
			p.existing = id
			return p, nil
		}
	}
	if s.MaxOpenPerTeam > 0 && ev.DedupKey != StormKey && sp == nil {
		open, err := s.Store.OpenCountTeam(ctx, team)
		if err != nil {
			return nil, err
		}
		if open >= int64(s.MaxOpenPerTeam) {
			p.fold = open
			return p, nil
		}
	}
	id, err := s.Store.NextID(ctx)
	if err != nil {
		return nil, err
	}
	dedup := ev.DedupKey
	if dedup == "" {
		dedup = "pagerd-" + strconv.FormatInt(id, 10)
	}
	severity, urgency, why := severityOf(rt, team, ev)
	a := &store.Alert{
		ID: id, Team: team, Summary: ev.Summary, Details: ev.Details, DedupKey: dedup,
		Severity: severity, Source: ev.Source, Origin: ev.Origin, Links: ev.Links, Route: ev.Route,
		CreatedAt: now, UpdatedAt: now, Count: 1, LastSeenAt: now,
	}
	origin := ""
	if ev.Origin != "" {
		origin = " (" + ev.Origin + ")"
	}
	if ev.Age > 0 {
		why += "; sent " + HumanAge(ev.Age) + " before pagerd read it"
	}
	a.Note(now, "received", "", "received from %s%s%s", ev.Source, origin, why)
	if sp != nil {
		// A drill, a team pulled in or the commander: always high urgency
		// (somebody asked for the page now), by its own policy.
		a.Drill, a.Policy, a.Parent, urgency = sp.drill, sp.policy, sp.parent, escalation.High
		a.Note(now, sp.kind, sp.by, "%s", sp.note)
	}
	received := len(a.Timeline)
	ch, err := apply(a, escalation.Trigger{Urgency: urgency}, now, rt)
	if err != nil {
		return nil, fmt.Errorf("start escalation for alert %d: %w", id, err)
	}
	if ev.ResolvedMeanwhile != "" {
		// Over before pagerd saw it: on the record, raised and
		// resolved, and its first pages never leave (so the trigger's
		// "paging ..." notes would be untrue).
		a.Timeline = a.Timeline[:received]
		a.Note(now, "resolved", ev.Source, "resolved while pagerd was away: %s; nobody paged", ev.ResolvedMeanwhile)
		if _, err := apply(a, escalation.Resolve{By: ev.Source}, now, rt); err != nil {
			return nil, fmt.Errorf("resolve alert %d on arrival: %w", id, err)
		}
		p.alert = a
		return p, nil
	}
	p.alert, p.pages = a, ch.Pages
	return p, nil
}

// severityOf is an alert's severity and urgency for team: the severity
// the team's Alertmanager label gives (else the event's, else critical),
// high urgency unless the team's urgency rule says otherwise. why, for
// the timeline, says so when the team has a rule.
func severityOf(rt *inforce.Rota, team string, ev Event) (severity string, u escalation.Urgency, why string) {
	severity = ev.Severity
	t, ok := rt.Team(team)
	if ok && t.Urgency != nil && ev.Labels != nil {
		if v, has := ev.Labels[t.Urgency.AlertmanagerLabel]; has && strings.TrimSpace(v) != "" {
			severity = SeverityFromLabel(v)
		}
	}
	if severity == "" {
		severity = SeverityCritical
	}
	if !ok || t.Urgency == nil {
		return severity, escalation.High, ""
	}
	if t.IsHigh(severity) {
		return severity, escalation.High, fmt.Sprintf("; severity %s: high urgency", severity)
	}
	return severity, escalation.Low, fmt.Sprintf("; severity %s: low urgency", severity)
}

// SeverityFromLabel maps an Alertmanager severity label's value onto
// pagerd's four. Anything unrecognised is critical rather than quietly
// demoted.
func SeverityFromLabel(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error", "err", "major":
		return SeverityError
	case "warning", "warn", "minor":
		return SeverityWarning
	case "info", "none", "informational":
		return SeverityInfo
	default: // page, critical, and anything else
		return SeverityCritical
	}
}

// commit stores what prepare decided.
func (s *Service) commit(ctx context.Context, p *prepared) (Result, error) {
	res, err := s.store(ctx, p)
	if err == nil && s.Received != nil {
		s.Received(p.ev.Source, p.team, res.Status)
	}
	return res, err
}

func (s *Service) store(ctx context.Context, p *prepared) (Result, error) {
	ev, team := p.ev, p.team
	switch {
	case ev.Action == Acknowledge || ev.Action == Resolve:
		id, ok, err := s.Store.OpenByDedup(ctx, team, ev.DedupKey)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{Status: "ignored", DedupKey: ev.DedupKey, Message: "no open alert with this dedup_key"}, nil
		}
		var e escalation.Event = escalation.Ack{By: ev.Source}
		status := "acknowledged"
		if ev.Action == Resolve {
			e, status = escalation.Resolve{By: ev.Source}, "resolved"
		}
		// An email route closes only what it raised: a forged RECOVERY
		// mail must not stop the paging of an alert raised over HTTP.
		var raisedBy string
		var guard func(*store.Alert) bool
		if ev.Route != "" && !ev.AnyRoute {
			guard = func(a *store.Alert) bool {
				raisedBy = ""
				if a.Source != SourceEmail || a.Route != ev.Route {
					raisedBy = a.Source
					if a.Route != "" {
						raisedBy += " route " + strconv.Quote(a.Route)
					}
					return false
				}
				return true
			}
		}
		_, err = s.step(ctx, id, nil, e, guard)
		var already *escalation.AlreadyError
		if errors.As(err, &already) {
			return Result{Status: "ignored", AlertID: id, DedupKey: ev.DedupKey, Message: err.Error()}, nil
		}
		if err != nil {
			return Result{}, err
		}
		if raisedBy != "" {
			s.log().Warn("an email route's "+string(ev.Action)+" left an alert it did not raise alone", "alert", id, "team", team, "route", ev.Route, "raised_by", raisedBy, "origin", ev.Origin)
			return Result{Status: "ignored", AlertID: id, DedupKey: ev.DedupKey,
				Message: fmt.Sprintf("open alert %d was raised by %s, not by email route %q; left as it is (resolve_any on the route allows it)", id, raisedBy, ev.Route)}, nil
		}
		return Result{Status: status, AlertID: id, DedupKey: ev.DedupKey}, nil
	case p.existing != 0:
		return s.again(ctx, p.existing, ev, p.now)
	case p.fold != 0:
		return s.fold(ctx, team, ev, p.now, p.fold)
	}
	a := p.alert
	existing, dup, err := s.Store.Create(ctx, a, p.pages)
	if err != nil {
		return Result{}, err
	}
	if dup {
		return s.again(ctx, existing, ev, p.now)
	}
	held := ""
	if a.Esc.Held() {
		held = a.Esc.HeldUntil.Format(time.RFC3339)
	}
	s.log().Info("alert", "alert", a.ID, "team", team, "source", ev.Source, "summary", ev.Summary, "pages", len(p.pages), "held_until", held)
	if ev.ResolvedMeanwhile != "" {
		return Result{Status: "created", AlertID: a.ID, DedupKey: a.DedupKey,
			Message: "recorded as raised and resolved while pagerd was away; nobody paged"}, nil
	}
	return Result{Status: "created", AlertID: a.ID, DedupKey: a.DedupKey}, nil
}

// StormKey is the dedup key of a team's storm alert: the one open alert
// that new alerts are counted into while the team is over its cap.
const StormKey = "pagerd-storm"

// stormNotes is how many folded alerts the storm alert's timeline names
// one by one (their keys and summaries); after that every hundredth fold
// notes the count, so a flood can't bloat the record.
const stormNotes = 100

// fold counts ev into team's storm alert, raising that alert (paged like
// any other) if it isn't open yet. Nothing of ev is lost silently: it is
// counted, its key and summary are on the storm alert's timeline (the
// first stormNotes of them), and the caller is told "folded".
func (s *Service) fold(ctx context.Context, team string, ev Event, now time.Time, open int64) (Result, error) {
	id, ok, err := s.Store.OpenByDedup(ctx, team, StormKey)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		rt, err := s.rota()
		if err != nil {
			return Result{}, err
		}
		storm := Event{Action: Trigger, Severity: SeverityCritical, Source: ev.Source, Origin: "pagerd", DedupKey: StormKey,
			Summary: fmt.Sprintf("Alert storm: %s has %d open alerts; new ones are counted here, not paged one by one", team, open)}
		p, err := s.prepare(ctx, rt, team, storm, now)
		if err != nil {
			return Result{}, err
		}
		res, err := s.store(ctx, p)
		if err != nil {
			return Result{}, err
		}
		id = res.AlertID
		s.log().Warn("alert storm: new alerts are folded into one", "team", team, "open", open, "cap", s.MaxOpenPerTeam, "alert", id)
	}
	key := ev.DedupKey
	if key == "" {
		key = "(none)"
	}
	a, err := s.Store.Update(ctx, id, nil, func(a *store.Alert) (store.Change, error) {
		a.Count++
		a.LastSeenAt = now
		named := 0
		for _, e := range a.Timeline {
			if e.Kind != "folded" {
				continue
			}
			if strings.HasPrefix(e.Text, "key "+strconv.Quote(key)+":") {
				return store.Change{}, nil // a repeat of an alert already named here: counted
			}
			named++
		}
		switch {
		case named < stormNotes:
			a.Note(now, "folded", ev.Source, "key %q: %s", key, Cut(ev.Summary, 200, SummaryMarker))
		case a.Count%100 == 0:
			a.Note(now, "storm", ev.Source, "%d alerts counted into this one so far; the first %d are named above", a.Count-1, stormNotes)
		}
		return store.Change{}, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, fmt.Errorf("storm alert %d of %s retired meanwhile: %w", id, team, err)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Status: "folded", AlertID: id, DedupKey: ev.DedupKey,
		Message: fmt.Sprintf("%s has %d open alerts (the cap is %d): counted into storm alert %d (%d so far)", team, open, s.MaxOpenPerTeam, id, a.Count-1)}, nil
}

// again counts a repeat of an open alert. It pages nobody; the timeline
// notes the first repeat and every hundredth, so a storm can't bloat it.
func (s *Service) again(ctx context.Context, id int64, ev Event, now time.Time) (Result, error) {
	a, err := s.Store.Update(ctx, id, nil, func(a *store.Alert) (store.Change, error) {
		a.Count++
		a.LastSeenAt = now
		if a.Count == 2 || a.Count%100 == 0 {
			a.Note(now, "repeat", ev.Source, "received again (%d times in all); nobody paged again", a.Count)
		}
		return store.Change{}, nil
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Status: "deduplicated", AlertID: id, DedupKey: a.DedupKey, Message: fmt.Sprintf("open alert %d has this dedup_key; received %d times", id, a.Count)}, nil
}

// Act applies an operator's or a person's ack, resolve, escalate or raise
// (to high urgency) to alert id. The actor's name is cleaned like any text coming in. On an
// *escalation.AlreadyError the alert is returned too, so the caller can
// say by whom and when in the team's zone.
func (s *Service) Act(ctx context.Context, id int64, ev escalation.Event) (*store.Alert, error) {
	switch e := ev.(type) {
	case escalation.Ack:
		e.By = CleanLine(e.By, MaxBy)
		ev = e
	case escalation.Resolve:
		e.By = CleanLine(e.By, MaxBy)
		ev = e
	case escalation.EscalateNow:
		e.By = CleanLine(e.By, MaxBy)
		ev = e
	case escalation.Raise:
		e.By = CleanLine(e.By, MaxBy)
		ev = e
	default:
		return nil, fmt.Errorf("alert %d: %T is not an action", id, ev)
	}
	return s.step(ctx, id, nil, ev, nil)
}

// TimerFired handles alert id's timer, due at due, on the leader (fence).
// A timer re-armed or stopped meanwhile changes nothing.
func (s *Service) TimerFired(ctx context.Context, fence *store.Fence, id int64, due time.Time) error {
	now := s.now()
	_, err := s.step(ctx, id, fence, escalation.Tick{}, func(a *store.Alert) bool {
		return !a.Esc.Timer.IsZero() && !a.Esc.Timer.After(now)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // retired meanwhile
	}
	return err
}

// SendFailed records that pages, sent as one message, could not be sent
// (the notifier gave up after attempts), and moves each alert's person on
// to their next contact method (or, when they have none left, the alert
// to its next step). The pages leave the outbox in the same writes. The
// pages this decides for one person by one method are grouped, so a bundle
// that fails as a text is followed by one call about the whole bundle. It
// is not fenced: that a send failed is a fact whoever leads.
func (s *Service) SendFailed(ctx context.Context, pages []store.OutboxPage, cause error, attempts int) error {
	if len(pages) == 0 {
		return nil
	}
	last := pages[len(pages)-1]
	s.log().Warn("page failed", "alert", last.AlertID, "page", last.PageID, "person", last.Person, "method", last.Method, "alerts", len(pages), "err", cause)
	tries := ""
	if attempts > 1 {
		tries = fmt.Sprintf(" after %d attempts", attempts)
	}
	steps := make([]groupStep, len(pages))
	for i, pg := range pages {
		steps[i] = groupStep{
			id: pg.AlertID,
			ev: escalation.DeliveryFailed{Person: pg.Person, Method: pg.Method, Reason: cause.Error(), Page: pg.PageID},
			before: func(a *store.Alert, now time.Time) {
				a.Note(now, "failed", "", "%s to %s failed%s: %v", pg.Method, pg.Person, tries, cause)
			},
			done: []store.OutboxPage{pg},
		}
	}
	return s.stepGroup(ctx, "fallback-"+last.Key(), steps)
}

// DeliveryReport is a provider's word on a message or call: what became of
// it (Text, for the timeline) and whether it failed to reach Person.
type DeliveryReport struct {
	Key    string // unique per report within the alert: recorded once
	Person string // "" when the number is nobody's now
	Method escalation.Method
	Text   string
	Failed bool
	// Page is the reported page's ID on alert Alert (the message's newest
	// page), when known.
	Alert int64
	Page  string
}

// Delivery records a delivery report about one message on the timeline of
// every alert it covered (ids). A message that did not arrive makes the
// person's next contact method due now on each alert not answered some
// other way meanwhile, and those pages are grouped: one call about the
// whole bundle follows an undelivered bundled text.
func (s *Service) Delivery(ctx context.Context, ids []int64, rep DeliveryReport) error {
	entry := store.Entry{At: s.now(), Kind: "status", Text: CleanLine(rep.Text, MaxSummary)}
	for _, id := range ids {
		if err := s.Store.RecordEvent(ctx, id, rep.Key, entry); err != nil {
			return err
		}
	}
	if !rep.Failed || rep.Person == "" {
		return nil
	}
	steps := make([]groupStep, len(ids))
	for i, id := range ids {
		page := ""
		if id == rep.Alert {
			page = rep.Page
		}
		steps[i] = groupStep{
			id:    id,
			ev:    escalation.DeliveryFailed{Person: rep.Person, Method: rep.Method, Reason: rep.Text, Page: page},
			guard: func(a *store.Alert) bool { return a.Status() == escalation.StatusTriggered }, // else answered some other way
		}
	}
	return s.stepGroup(ctx, "fallback-"+rep.Key, steps)
}

// groupStep is one alert's part in a decision about several alerts.
type groupStep struct {
	id     int64
	ev     escalation.Event
	guard  func(*store.Alert) bool             // false: no change (nil: always)
	before func(a *store.Alert, now time.Time) // a timeline line before the machine's
	done   []store.OutboxPage                  // outbox pages to remove in the write
}

// stepGroup applies one event to each of several alerts as one decision:
// it first works out, without writing, which pages each would make, so
// that the pages to one person by one method carry one group name and the
// group's size, then writes each alert. If an alert changes between the
// two, its pages may differ; the engine sends a group that never fills
// after a short wait.
func (s *Service) stepGroup(ctx context.Context, name string, steps []groupStep) error {
	rt, err := s.rota()
	if err != nil {
		return err
	}
	planned := make([][]store.OutboxPage, len(steps))
	if len(steps) > 1 {
		now := s.now()
		for i, st := range steps {
			a, err := s.Store.Get(ctx, st.id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if st.guard != nil && !st.guard(a) {
				continue
			}
			ch, err := apply(a, st.ev, now, rt) // a is a copy: nothing is written
			if err == nil {
				planned[i] = ch.Pages
			}
		}
		group(planned, name)
	}
	var errs []error
	for i, st := range steps {
		var marks map[string]store.OutboxPage // page key -> its grouped form
		for _, pg := range planned[i] {
			if pg.Group != "" {
				if marks == nil {
					marks = map[string]store.OutboxPage{}
				}
				marks[pg.Key()] = pg
			}
		}
		var before escalation.State
		changed := false
		a, err := s.Store.Update(ctx, st.id, nil, func(a *store.Alert) (store.Change, error) {
			changed = false // fn runs again when the alert changed meanwhile
			now := s.now()
			if st.guard != nil && !st.guard(a) {
				if len(st.done) > 0 {
					return store.Change{Done: st.done}, nil
				}
				return store.Change{}, store.ErrNoChange
			}
			before, changed = a.Esc, true
			if st.before != nil {
				st.before(a, now)
			}
			ch, aerr := apply(a, st.ev, now, rt)
			if aerr != nil {
				// An answered or resolved alert has no next method to try;
				// the lines above still go on its timeline.
				s.log().Info("event changes no escalation", "alert", a.ID, "event", fmt.Sprintf("%T", st.ev), "reason", aerr)
			}
			for j, pg := range ch.Pages {
				if m, ok := marks[pg.Key()]; ok && m.Person == pg.Person && m.Method == pg.Method {
					ch.Pages[j].Group, ch.Pages[j].GroupSize = m.Group, m.GroupSize
				}
			}
			ch.Done = append(ch.Done, st.done...)
			return ch, nil
		})
		switch {
		case errors.Is(err, store.ErrNotFound):
			// retired meanwhile: nobody left to page for it
		case err != nil:
			errs = append(errs, fmt.Errorf("alert %d: %w", st.id, err))
		case changed:
			logTransition(s.log(), before, a)
			if before.Status != escalation.StatusResolved && a.Status() == escalation.StatusResolved && len(a.Helpers) > 0 {
				s.resolveHelpers(ctx, a)
			}
		}
	}
	return errors.Join(errs...)
}

// step is the one transition: read alert id, check guard (false: no
// change), step the machine, write the alert with its pages, timer and
// ledger entries in one transaction (fenced when fence is set), and log.
func (s *Service) step(ctx context.Context, id int64, fence *store.Fence, ev escalation.Event, guard func(*store.Alert) bool) (*store.Alert, error) {
	rt, err := s.rota()
	if err != nil {
		return nil, err
	}
	var before escalation.State
	changed := false
	a, err := s.Store.Update(ctx, id, fence, func(a *store.Alert) (store.Change, error) {
		changed = false // fn runs again when the alert changed meanwhile
		if guard != nil && !guard(a) {
			return store.Change{}, store.ErrNoChange
		}
		before, changed = a.Esc, true
		return apply(a, ev, s.now(), rt)
	})
	if err != nil || !changed {
		return a, err
	}
	logTransition(s.log(), before, a)
	if before.Status != escalation.StatusResolved && a.Status() == escalation.StatusResolved && len(a.Helpers) > 0 {
		s.resolveHelpers(ctx, a)
	}
	if _, ack := ev.(escalation.Ack); ack && s.Acked != nil && before.Status == escalation.StatusTriggered && a.Status() == escalation.StatusAcknowledged {
		s.Acked(a.Esc.AckedAt.Sub(a.CreatedAt))
	}
	return a, nil
}

// HumanAge is d as people say it: "45s", "12m", "1h23m", "2d3h".
func HumanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
