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
// who they take over from. Each is sent once across the cluster (claimed in
// etcd).

func (e *Engine) noticeLoop(ctx context.Context) {
	if e.HandoffNotice <= 0 {
		return
	}
	for {
		if r := e.Rota.Get(); r != nil {
			now := e.Clock.Now()
			for _, t := range r.Teams {
				for _, rot := range t.Schedule.Rotations {
					e.noticeRole(ctx, r, t.ID, t.Schedule, rot.Role, now)
				}
			}
		}
		tm := e.Clock.NewTimer(time.Minute)
		select {
		case <-ctx.Done():
			tm.Stop()
			return
		case <-tm.C():
		}
	}
}

func (e *Engine) noticeRole(ctx context.Context, r *inforce.Rota, team string, s *rotation.Schedule, role string, now time.Time) {
	cur, ok := s.Holder(role, now)
	if !ok || cur.End.IsZero() || cur.End.Sub(now) > e.HandoffNotice {
		return
	}
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
		if err != nil || !claimed {
			continue
		}
		p, ok := r.People[n.person]
		if !ok || p.SMS == "" {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err = e.Notifier.Send(sctx, notifier.Page{Team: team, Person: p.ID, PersonName: p.Name, Method: "sms", To: p.SMS, Role: role, Summary: n.text, Text: n.text})
		cancel()
		if err != nil {
			e.Log.Warn("handoff notice not sent", "team", team, "role", role, "person", n.person, "err", err)
			continue
		}
		e.Log.Info("handoff notice sent", "team", team, "role", role, "person", n.person, "at", next.Start)
	}
}
