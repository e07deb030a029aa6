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
	ev = Clean(ev)
	res, err := s.receive(ctx, team, ev)
	if err == nil && s.Received != nil {
		s.Received(ev.Source, team, res.Status)
	}
	return res, err
}

func (s *Service) receive(ctx context.Context, team string, ev Event) (Result, error) {
	rt, err := s.rota()
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	switch ev.Action {
	case Acknowledge, Resolve:
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
	}
	if ev.DedupKey != "" {
		id, ok, err := s.Store.OpenByDedup(ctx, team, ev.DedupKey)
		if err != nil {
			return Result{}, err
		}
		if ok {
			return s.again(ctx, id, ev, now)
		}
	}
	if s.MaxOpenPerTeam > 0 {
		open, err := s.Store.OpenCountTeam(ctx, team)
		if err != nil {
			return Result{}, err
		}
		if open >= int64(s.MaxOpenPerTeam) {
			return s.fold(ctx, team, ev, now, open)
		}
	}
	return s.create(ctx, team, ev, now, rt)
}

// create stores ev as a new alert of team, paged in the same transaction.
func (s *Service) create(ctx context.Context, team string, ev Event, now time.Time, rt *inforce.Rota) (Result, error) {
	id, err := s.Store.NextID(ctx)
	if err != nil {
		return Result{}, err
	}
	dedup := ev.DedupKey
	if dedup == "" {
		dedup = "pagerd-" + strconv.FormatInt(id, 10)
	}
	a := &store.Alert{
		ID: id, Team: team, Summary: ev.Summary, Details: ev.Details, DedupKey: dedup,
		Severity: ev.Severity, Source: ev.Source, Origin: ev.Origin, Links: ev.Links, Route: ev.Route,
		CreatedAt: now, UpdatedAt: now, Count: 1, LastSeenAt: now,
	}
	origin := ""
	if ev.Origin != "" {
		origin = " (" + ev.Origin + ")"
	}
	a.Note(now, "received", "", "received from %s%s", ev.Source, origin)
	ch, err := apply(a, escalation.Trigger{}, now, rt)
	if err != nil {
		return Result{}, fmt.Errorf("start escalation for alert %d: %w", id, err)
	}
	existing, dup, err := s.Store.Create(ctx, a, ch.Pages)
	if err != nil {
		return Result{}, err
	}
	if dup {
		return s.again(ctx, existing, ev, now)
	}
	s.log().Info("alert", "alert", id, "team", team, "source", ev.Source, "summary", ev.Summary, "pages", len(ch.Pages))
	return Result{Status: "created", AlertID: id, DedupKey: dedup}, nil
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
		res, err := s.create(ctx, team, storm, now, rt)
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
			a.Note(now, "repeat", ev.Source, "received again from %s (%d times in all); nobody paged again", ev.Source, a.Count)
		}
		return store.Change{}, nil
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Status: "deduplicated", AlertID: id, DedupKey: a.DedupKey, Message: fmt.Sprintf("open alert %d has this dedup_key; received %d times", id, a.Count)}, nil
}

// Act applies an operator's or a person's ack, resolve or escalate to
// alert id. The actor's name is cleaned like any text coming in. On an
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

// SendFailed records that a page could not be sent (the notifier gave up
// after attempts) and moves the person on to their next contact method. It
// removes the page from the outbox in the same write. It is not fenced:
// that a send failed is a fact whoever leads.
func (s *Service) SendFailed(ctx context.Context, pg store.OutboxPage, cause error, attempts int) error {
	s.log().Warn("page failed", "alert", pg.AlertID, "page", pg.PageID, "person", pg.Person, "method", pg.Method, "err", cause)
	rt, err := s.rota()
	if err != nil {
		return err
	}
	var before escalation.State
	a, err := s.Store.Update(ctx, pg.AlertID, nil, func(a *store.Alert) (store.Change, error) {
		now := s.now()
		before = a.Esc
		tries := ""
		if attempts > 1 {
			tries = fmt.Sprintf(" after %d attempts", attempts)
		}
		a.Note(now, "failed", "", "%s to %s failed%s: %v", pg.Method, pg.Person, tries, cause)
		ch, aerr := apply(a, escalation.DeliveryFailed{Person: pg.Person, Method: pg.Method, Reason: cause.Error()}, now, rt)
		if aerr != nil {
			// The note above still goes on the timeline: an answered or
			// resolved alert has no next method to try.
			s.log().Info("delivery failure changes no escalation", "alert", pg.AlertID, "page", pg.PageID, "reason", aerr)
		}
		ch.Done = append(ch.Done, pg)
		return ch, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // retired meanwhile: nobody left to page for it
	}
	if err == nil {
		logTransition(s.log(), before, a)
	}
	return err
}

// DeliveryReport is a provider's word on a message or call: what became of
// it (Text, for the timeline) and whether it failed to reach Person.
type DeliveryReport struct {
	Key    string // unique per report within the alert: recorded once
	Person string // "" when the number is nobody's now
	Method escalation.Method
	Text   string
	Failed bool
}

// Delivery records a delivery report on alert id's timeline. A message
// that did not arrive makes the person's next contact method due now,
// unless the alert was answered some other way meanwhile.
func (s *Service) Delivery(ctx context.Context, id int64, rep DeliveryReport) error {
	entry := store.Entry{At: s.now(), Kind: "status", Text: CleanLine(rep.Text, MaxSummary)}
	if err := s.Store.RecordEvent(ctx, id, rep.Key, entry); err != nil {
		return err
	}
	if !rep.Failed || rep.Person == "" {
		return nil
	}
	_, err := s.step(ctx, id, nil, escalation.DeliveryFailed{Person: rep.Person, Method: rep.Method, Reason: rep.Text}, func(a *store.Alert) bool {
		return a.Status() == escalation.StatusTriggered // else answered some other way
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // retired meanwhile
	}
	return err
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
	if _, ack := ev.(escalation.Ack); ack && s.Acked != nil && before.Status == escalation.StatusTriggered && a.Status() == escalation.StatusAcknowledged {
		s.Acked(a.Esc.AckedAt.Sub(a.CreatedAt))
	}
	return a, nil
}
