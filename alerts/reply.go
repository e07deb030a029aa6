package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/store"
)

// Answers from people: an SMS reply or a keypress names a verb and which
// alerts; the answer is what the person reads (or hears) back, one segment.

// Reply carries out person's SMS reply and says what happened.
func (s *Service) Reply(ctx context.Context, person, body string) string {
	cmd, err := message.ParseReply(body)
	var re *message.ReplyError
	if errors.As(err, &re) && re.Kind == message.OptOut {
		// Twilio now blocks texts to this person: say so loudly, since
		// pagerd can only call them until they reply START.
		s.log().Error("a person opted out of SMS at Twilio; texts to them will fail until they reply START", "person", person)
	}
	if err != nil {
		return err.Error()
	}
	if cmd.Verb == message.VerbHelp {
		return message.Help()
	}
	var ids []int64
	switch {
	case cmd.All:
		alerts, err := s.Store.List(ctx, func(a *store.Alert) bool {
			return a.Status() == escalation.StatusTriggered && paged(a, person)
		}, 0)
		if err != nil {
			s.log().Error("reply: listing the person's alerts failed", "person", person, "err", err)
			return message.TryAgain()
		}
		for _, a := range alerts {
			ids = append(ids, a.ID)
		}
		if len(ids) == 0 {
			return nothingFor(cmd.Verb)
		}
	case cmd.AlertID == 0:
		id, ok, err := s.Store.LastPaged(ctx, person)
		if err != nil {
			s.log().Error("reply: reading the person's last page failed", "person", person, "err", err)
			return message.TryAgain()
		}
		if !ok {
			return nothingFor(cmd.Verb)
		}
		ids = []int64{id}
	default:
		ids = []int64{cmd.AlertID}
	}
	var answers []string
	var done []int64
	for _, id := range ids {
		answer, ok := s.ActFor(ctx, person, id, cmd.Verb)
		answers = append(answers, answer)
		if ok {
			done = append(done, id)
		}
	}
	switch {
	case cmd.All && cmd.Verb == message.VerbResolve:
		return message.ResolvedAll(done)
	case cmd.All:
		return message.AckedAll(done)
	}
	return strings.Join(answers, " ")
}

func nothingFor(v message.Verb) string {
	if v == message.VerbResolve {
		return message.NothingToResolve()
	}
	return message.NothingToAck()
}

func paged(a *store.Alert, person string) bool {
	for _, p := range a.Esc.Paged {
		if p.Person == person {
			return true
		}
	}
	return false
}

// ActFor applies a person's ack, resolve or escalate to one alert, and
// says what happened, and whether it was done.
func (s *Service) ActFor(ctx context.Context, person string, id int64, verb message.Verb) (string, bool) {
	var ev escalation.Event
	switch verb {
	case message.VerbAck:
		ev = escalation.Ack{By: person}
	case message.VerbResolve:
		ev = escalation.Resolve{By: person}
	case message.VerbEscalate:
		ev = escalation.EscalateNow{By: person}
	default:
		return message.Help(), false
	}
	a, err := s.Act(ctx, id, ev)
	var already *escalation.AlreadyError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return message.NoSuchAlert(id), false
	case errors.As(err, &already):
		return message.AlreadyDone(id, string(already.Status), already.By, already.At, s.personZone(person)), false
	case errors.Is(err, escalation.ErrNoFurtherStep):
		return fmt.Sprintf("#%d: there is no further step to escalate to.", id), false
	case err != nil:
		s.log().Error("reply not applied", "alert", id, "person", person, "err", err)
		return message.TryAgain(), false
	}
	switch verb {
	case message.VerbAck:
		if a.Status() == escalation.StatusTriggered {
			// Only a learning shadow's ack leaves it triggered.
			return message.ShadowNoted(id, onCallFor(a, person)), false
		}
		return message.Acked(id), true
	case message.VerbResolve:
		return message.Resolved(id), true
	default:
		return message.Escalated(id, onCallFor(a, person)), true
	}
}

// onCallFor names who the escalation is paging, other than the shadow.
func onCallFor(a *store.Alert, shadow string) string {
	for i := len(a.Esc.Paged) - 1; i >= 0; i-- {
		if p := a.Esc.Paged[i]; p.Person != shadow && !p.Shadow {
			return p.Person
		}
	}
	return "the on-call person"
}

// personZone is where a person's times are shown.
func (s *Service) personZone(person string) *time.Location {
	if r := s.Rota.Get(); r != nil {
		if p, ok := r.People[person]; ok && p.Location != nil {
			return p.Location
		}
	}
	return time.UTC
}
