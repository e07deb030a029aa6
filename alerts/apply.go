package alerts

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/store"
)

// apply runs one event through the alert's escalation state machine and
// turns the actions into timeline entries and outbox pages. It changes a in
// place; the caller writes a and the Change in one transaction. It is the
// only caller of escalation.Step outside tests.
func apply(a *store.Alert, ev escalation.Event, now time.Time, r *inforce.Rota) (store.Change, error) {
	var ch store.Change
	if r == nil {
		return ch, errors.New("no rota loaded yet")
	}
	team, ok := r.Team(a.Team)
	var policy escalation.Policy
	var env escalation.Env
	if ok {
		policy, env = team.Escalation, inforce.Env{Rota: r, Team: team}
		if a.Policy != nil {
			policy = *a.Policy // a drill, a team pulled in, the commander
		}
	}
	kind, by := eventKind(ev)
	st, actions, err := escalation.Step(a.Esc, ev, now, policy, env)
	if err != nil {
		if !ok && !errors.Is(err, escalation.ErrAlreadyAcknowledged) && !errors.Is(err, escalation.ErrAlreadyResolved) {
			// The team left the rota while this alert was open: nobody can
			// be paged for it any more. Say so once, and stop its timer.
			if a.Esc.Timer.IsZero() {
				return ch, err
			}
			a.Esc.Timer = time.Time{}
			a.UpdatedAt = now
			a.Note(now, "error", "", "team %q is no longer in the rota (r%d): escalation stopped", a.Team, r.Rev)
			return ch, nil
		}
		return ch, err
	}
	wasResolved := a.Esc.Status == escalation.StatusResolved
	a.Esc = st
	a.UpdatedAt = now
	if !wasResolved && st.Status == escalation.StatusResolved {
		ch.Worked = worked(a, st, r, now)
	}
	paged := false
	for _, act := range actions {
		switch act := act.(type) {
		case escalation.Note:
			a.Note(now, kind, by, "%s", act.Text)
		case escalation.Exhausted:
			// The machine's own note says so; mark it for readers.
			if n := len(a.Timeline); n > 0 {
				a.Timeline[n-1].Kind = "exhausted"
			}
		case escalation.Page:
			paged = true
			a.MarkPage(store.PageMark{Person: act.Person, Role: act.Role, Shadow: act.Shadow, Pass: act.Pass, Step: act.Step, At: now})
			ch.Pages = append(ch.Pages, store.OutboxPage{
				AlertID: a.ID, PageID: act.ID, Person: act.Person, Method: act.Method,
				Role: act.Role, Shadow: act.Shadow, Due: act.Due, Late: act.Late, Queued: now, Pass: act.Pass, Step: act.Step,
				Team: a.Team, Summary: a.Summary, Severity: a.Severity,
			})
		}
	}
	if paged && a.RotaRev != r.Rev {
		// Recorded when it changes: which rota chose whom to page.
		a.Note(now, "rota", "", "paging from rota r%d", r.Rev)
		a.RotaRev = r.Rev
	}
	return ch, nil
}

// worked is the engaged time of an alert just resolved, for the pay
// ledger: each person who acknowledged or resolved it worked it from the
// first of their ack or resolve until it was resolved. Someone who
// resolves without acking (a "42r" reply at 3 a.m.) worked it too: their
// engagement has no length, and the report pays it the minimum call-out.
// Operators who are not people in the rota are not paid.
func worked(a *store.Alert, st escalation.State, r *inforce.Rota, now time.Time) []store.Worked {
	if a.Drill {
		return nil // a drill is practice, never paid as engaged time
	}
	var out []store.Worked
	add := func(person string, start time.Time) {
		if _, ok := r.People[person]; !ok || start.IsZero() || start.After(st.ResolvedAt) {
			return
		}
		out = append(out, store.Worked{AlertID: a.ID, Team: a.Team, Person: person, Paged: a.CreatedAt,
			Start: start, End: st.ResolvedAt, ResolvedBy: st.ResolvedBy, RecordedAt: now})
	}
	if st.AckedBy != "" {
		add(st.AckedBy, st.AckedAt)
	}
	if st.ResolvedBy != "" && st.ResolvedBy != st.AckedBy {
		add(st.ResolvedBy, st.ResolvedAt)
	}
	return out
}

func eventKind(ev escalation.Event) (kind, by string) {
	switch e := ev.(type) {
	case escalation.Trigger:
		return "trigger", ""
	case escalation.Tick:
		return "escalation", ""
	case escalation.Ack:
		return "ack", e.By
	case escalation.Resolve:
		return "resolve", e.By
	case escalation.EscalateNow:
		return "escalate", e.By
	case escalation.DeliveryFailed:
		return "delivery", e.Person
	case escalation.Raise:
		return "urgent", e.By
	}
	return fmt.Sprintf("%T", ev), ""
}

// logTransition logs an alert's change of state once, with its id and
// team: acknowledged, resolved, reopened, escalated to another step, or
// exhausted. Callers pass the state before the change.
func logTransition(log *slog.Logger, before escalation.State, a *store.Alert) {
	after := a.Esc
	attrs := []any{"alert", a.ID, "team", a.Team}
	switch {
	case before.Status != after.Status && after.Status == escalation.StatusAcknowledged:
		log.Info("alert acknowledged", append(attrs, "by", after.AckedBy)...)
	case before.Status != after.Status && after.Status == escalation.StatusResolved:
		log.Info("alert resolved", append(attrs, "by", after.ResolvedBy)...)
	case before.Status != after.Status && after.Status == escalation.StatusTriggered:
		log.Info("alert reopened", append(attrs, "step", after.Step+1, "pass", after.Pass+1)...)
	case !before.Exhausted && after.Exhausted:
		log.Warn("alert exhausted its escalation policy: nobody acknowledged", attrs...)
	case before.Step != after.Step || before.Pass != after.Pass:
		log.Info("alert escalated", append(attrs, "step", after.Step+1, "pass", after.Pass+1)...)
	}
}
