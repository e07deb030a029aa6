package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/rotation"
)

// Handoff notices: a text, HandoffNotice before a shift starts, to whoever
// takes over a role, and to anyone who will shadow it, naming the shift and
// who they take over from. The leader sleeps until the exact instant the
// next notice falls due (not a ticker), and plans again when the rota
// changes. The instants are a function of the rota, so a new leader works
// them out again; a notice due while no node led goes as soon as one does,
// while its handoff is still ahead. Each is sent once per handoff per
// person across the cluster: a claim in etcd, taken before the send.

// noticeMaxSleep bounds a sleep with nothing planned (no rotation has a
// holder yet), so that time reaching a rotation's start is noticed.
const noticeMaxSleep = time.Hour

func (e *Engine) noticeLoop(ctx context.Context) {
	if e.HandoffNotice <= 0 {
		return
	}
	for {
		changed := e.Rota.Changed()
		now := e.Clock.Now()
		next := now.Add(noticeMaxSleep)
		if r := e.Rota.Get(); r != nil {
			for _, t := range r.Teams {
				for _, rot := range t.Schedule.Rotations {
					if at := e.noticeRole(ctx, r, t.ID, t.Schedule, rot.Role, now); !at.IsZero() && at.Before(next) {
						next = at
					}
				}
			}
		}
		e.noticeNext.Store(next.UnixNano())
		tm := e.Clock.NewTimer(next.Sub(e.Clock.Now()))
		select {
		case <-ctx.Done():
			tm.Stop()
			return
		case <-changed:
			tm.Stop()
		case <-tm.C():
		}
	}
}

// NextNotice is the instant the notice loop sleeps until (zero before it
// first plans): tests driving a fake clock wait for it.
func (e *Engine) NextNotice() time.Time {
	if n := e.noticeNext.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// noticeRole sends the notices of role's next handoff if it is within
// HandoffNotice of now, and returns when this role's next notice falls due
// (zero: none planned).
func (e *Engine) noticeRole(ctx context.Context, r *inforce.Rota, team string, s *rotation.Schedule, role string, now time.Time) time.Time {
	cur, ok := s.Holder(role, now)
	if !ok || cur.End.IsZero() {
		return time.Time{}
	}
	if due := cur.End.Add(-e.HandoffNotice); due.After(now) {
		return due
	}
	e.noticeHandoff(ctx, r, team, s, role, cur)
	// The following handoff's notice; for shifts shorter than the notice
	// that instant has passed already, and the handoff itself is next.
	after, ok := s.Holder(role, cur.End)
	if !ok || after.End.IsZero() {
		return time.Time{}
	}
	if due := after.End.Add(-e.HandoffNotice); due.After(now) {
		return due
	}
	return cur.End
}

// noticeHandoff texts the people who take over role when cur ends.
func (e *Engine) noticeHandoff(ctx context.Context, r *inforce.Rota, team string, s *rotation.Schedule, role string, cur rotation.Shift) {
	next, ok := s.Holder(role, cur.End)
	if !ok {
		return
	}
	when := next.Start.In(s.Location).Format("Mon 2 Jan 15:04 MST")
	type notice struct{ person, text string }
	var notices []notice
	if next.Person != cur.Person {
		notices = append(notices, notice{next.Person, fmt.Sprintf("pagerd: from %s you are %s %s, taking over from %s. Reply ? for help.", when, team, role, cur.Person)})
	}
	for _, sh := range s.ShadowsAt(role, next.Start) {
		notices = append(notices, notice{sh.Person, fmt.Sprintf("pagerd: from %s you shadow %s %s; %s is on call.", when, team, role, next.Person)})
	}
	for _, n := range notices {
		key := fmt.Sprintf("%s/%s/%d/%s", team, role, next.Start.Unix(), n.person)
		claimed, err := e.Store.Claim(ctx, "notice/"+key)
		if err != nil {
			// Not claimed, so not sent: the next pass (at the latest the
			// handoff) tries again.
			e.Log.Warn("handoff notice not claimed; trying again", "team", team, "role", role, "person", n.person, "err", err)
			e.noticeOutcome(err)
			continue
		}
		if !claimed {
			continue // sent already, by this node or another
		}
		p, ok := r.People[n.person]
		if !ok || p.SMS == "" {
			e.Log.Warn("handoff notice not sent: no SMS number", "team", team, "role", role, "person", n.person)
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err = e.Notifier.Send(sctx, notifier.Page{Team: team, Person: p.ID, PersonName: p.Name, Method: "sms", To: p.SMS, Role: role, Summary: n.text, Text: n.text})
		cancel()
		e.noticeOutcome(err)
		if err != nil {
			// Claimed, so not retried: a notice is a courtesy, and a second
			// one after an ambiguous failure would be noise.
			e.Log.Warn("handoff notice not sent", "team", team, "role", role, "person", n.person, "handoff", next.Start, "err", err)
			continue
		}
		e.Log.Info("handoff notice sent", "team", team, "role", role, "person", n.person, "handoff", next.Start)
	}
}

func (e *Engine) noticeOutcome(err error) {
	if o, ok := e.Observer.(NoticeObserver); ok {
		o.Notice(err)
	}
}
