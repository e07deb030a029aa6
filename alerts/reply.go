package alerts

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/store"
)

// Answers from people: an SMS reply or a keypress names a verb and which
// alerts. The unit a person answers is the message they got: a bare "ack"
// (or a key pressed on a call) covers every alert that message covered.
// The answer summarises what happened to all of them.

// Reply carries out person's SMS reply and says what happened, in one
// segment.
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
	if cmd.Verb == message.VerbPage || cmd.Verb == message.VerbMajor {
		return s.replyHelper(ctx, person, cmd)
	}
	var ids []int64
	switch {
	case cmd.All:
		// "resolve all" after "ack all" is the storm workflow: it covers
		// the acknowledged alerts too.
		want := func(st escalation.Status) bool {
			return st == escalation.StatusTriggered || cmd.Verb == message.VerbResolve && st == escalation.StatusAcknowledged
		}
		alerts, err := s.Store.List(ctx, func(a *store.Alert) bool { return want(a.Status()) && paged(a, person) }, 0)
		if err != nil {
			s.log().Error("reply: listing the person's alerts failed", "person", person, "err", err)
			return message.TryAgain()
		}
		for _, a := range alerts {
			ids = append(ids, a.ID)
		}
		slices.Sort(ids)
	case cmd.AlertID == 0:
		last, ok, err := s.Store.LastPaged(ctx, person)
		if err != nil {
			s.log().Error("reply: reading the person's last page failed", "person", person, "err", err)
			return message.TryAgain()
		}
		if ok {
			ids = last.Alerts
		}
		if len(ids) > 1 && cmd.Verb == message.VerbEscalate {
			return message.EscalateOne(len(ids), slices.Min(ids))
		}
	default:
		ids = []int64{cmd.AlertID}
	}
	return message.Answer(s.ActAll(ctx, person, ids, cmd.Verb))
}

func paged(a *store.Alert, person string) bool {
	for _, p := range a.Esc.Paged {
		if p.Person == person {
			return true
		}
	}
	return false
}

// ActAll applies a person's ack, resolve, escalate or raise to each of
// ids, in order, and says what happened to each: the answer (SMS or
// spoken) is made from it.
func (s *Service) ActAll(ctx context.Context, person string, ids []int64, verb message.Verb) message.Outcome {
	o := message.Outcome{Verb: verb, Zone: s.personZone(person)}
	for _, id := range ids {
		s.actFor(ctx, person, id, &o)
	}
	return o
}

// actFor applies o.Verb to alert id as person and adds the result to o.
func (s *Service) actFor(ctx context.Context, person string, id int64, o *message.Outcome) {
	var ev escalation.Event
	switch o.Verb {
	case message.VerbAck:
		ev = escalation.Ack{By: person}
	case message.VerbResolve:
		ev = escalation.Resolve{By: person}
	case message.VerbEscalate:
		ev = escalation.EscalateNow{By: person}
	case message.VerbUrgent:
		ev = escalation.Raise{By: person}
	default:
		o.Failed = append(o.Failed, id)
		s.log().Error("reply with no action verb", "alert", id, "person", person, "verb", o.Verb)
		return
	}
	// A person acts on their own team's alerts and those paged to them;
	// any other id is answered as if it did not exist, and logged.
	cur, err := s.Store.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		o.Missing = append(o.Missing, id)
		return
	case err != nil:
		o.Failed = append(o.Failed, id)
		s.log().Error("reply not applied", "alert", id, "person", person, "err", err)
		return
	case !s.mayAct(person, cur):
		o.Missing = append(o.Missing, id)
		s.log().Warn("a reply named an alert that is not the person's: not yours, nothing done", "alert", id, "team", cur.Team, "person", person, "verb", o.Verb)
		return
	}
	a, err := s.Act(ctx, id, ev)
	var already *escalation.AlreadyError
	switch {
	case errors.Is(err, store.ErrNotFound):
		o.Missing = append(o.Missing, id)
		return
	case errors.As(err, &already):
		o.Already = append(o.Already, message.Closed{ID: id, Status: string(already.Status), By: already.By, At: already.At})
		return
	case errors.Is(err, escalation.ErrNoFurtherStep):
		o.NoFurther = append(o.NoFurther, id)
		if a, gerr := s.Store.Get(ctx, id); gerr == nil {
			o.Paging = a.Esc.StepPeople
		}
		return
	case errors.Is(err, escalation.ErrAlreadyHigh):
		o.NoFurther = append(o.NoFurther, id)
		return
	case err != nil:
		s.log().Error("reply not applied", "alert", id, "person", person, "verb", o.Verb, "err", err)
		o.Failed = append(o.Failed, id)
		return
	}
	switch o.Verb {
	case message.VerbAck:
		if a.Status() == escalation.StatusTriggered {
			// Only a learning shadow's ack leaves it triggered.
			o.Noted = append(o.Noted, id)
			o.Paging = onCall(a, person)
			return
		}
	case message.VerbEscalate:
		if a.Esc.Exhausted {
			// Escalating from the last step ends the policy: nobody
			// further is paged; say who still is.
			o.NoFurther = append(o.NoFurther, id)
			o.Paging = a.Esc.StepPeople
			return
		}
		o.Paging = a.Esc.StepPeople
		o.LastStep = s.lastStep(a)
	}
	o.Done = append(o.Done, id)
}

// lastStep reports whether alert a's escalation is on its policy's last
// step.
func (s *Service) lastStep(a *store.Alert) bool {
	r := s.Rota.Get()
	if r == nil {
		return false
	}
	t, ok := r.Team(a.Team)
	if ok && a.Policy != nil {
		return a.Policy.Last(a.Esc.Pass, a.Esc.Step)
	}
	return ok && t.Escalation.Last(a.Esc.Pass, a.Esc.Step)
}

// onCall names whom the escalation is paging, other than the shadow.
func onCall(a *store.Alert, shadow string) []string {
	var out []string
	for _, p := range a.Esc.StepPeople {
		if p != shadow {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i := len(a.Esc.Paged) - 1; i >= 0; i-- {
		if p := a.Esc.Paged[i]; p.Person != shadow && !p.Shadow {
			return []string{p.Person}
		}
	}
	return nil
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

// mayAct says whether person may answer alert a by SMS or keypress: it was
// paged to them, or they belong to its team (a rotation's member in any
// era, an override's or a shadow's person, or a person its escalation
// policy names).
func (s *Service) mayAct(person string, a *store.Alert) bool {
	if paged(a, person) {
		return true
	}
	r := s.Rota.Get()
	if r == nil {
		return false
	}
	t, ok := r.Team(a.Team)
	if !ok {
		return false
	}
	if sch := t.Schedule; sch != nil {
		for _, rot := range sch.Rotations {
			for _, era := range rot.Eras {
				if slices.Contains(era.Members, person) {
					return true
				}
			}
		}
		for _, o := range sch.Overrides {
			if o.Person == person {
				return true
			}
		}
		for _, sh := range sch.Shadows {
			if sh.Person == person {
				return true
			}
		}
	}
	for _, st := range t.Escalation.Steps {
		for _, tg := range st.Targets {
			if tg.Person == person {
				return true
			}
		}
	}
	return false
}

// replyHelper carries out "42 page platform" and "42 major" from person.
func (s *Service) replyHelper(ctx context.Context, person string, cmd message.Command) string {
	major := cmd.Verb == message.VerbMajor
	example := func(id string) string {
		if major {
			return id + " major"
		}
		return id + " page " + cmd.Team
	}
	id := cmd.AlertID
	if id == 0 {
		last, ok, err := s.Store.LastPaged(ctx, person)
		if err != nil {
			s.log().Error("reply: reading the person's last page failed", "person", person, "err", err)
			return message.TryAgain()
		}
		switch {
		case !ok || len(last.Alerts) == 0:
			return message.HelperRefused(0, "name the alert, e.g. "+example("42"))
		case len(last.Alerts) > 1:
			oldest := slices.Min(last.Alerts)
			return message.HelperRefused(oldest, "your last page was about several alerts; name one, e.g. "+example(strconv.FormatInt(oldest, 10)))
		}
		id = last.Alerts[0]
	}
	a, err := s.Store.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return message.HelperRefused(id, "no such alert of yours")
	case err != nil:
		s.log().Error("reply: reading the alert failed", "alert", id, "person", person, "err", err)
		return message.TryAgain()
	case !s.mayAct(person, a):
		s.log().Warn("a reply named an alert that is not the person's: not yours, nothing done", "alert", id, "team", a.Team, "person", person, "verb", cmd.Verb)
		return message.HelperRefused(id, "no such alert of yours")
	}
	var res Result
	team := cmd.Team
	if major {
		res, err = s.Major(ctx, id, person)
		if t := s.Rota.Get(); t != nil && t.Commander() != nil {
			team = t.Commander().ID
		}
	} else {
		res, err = s.PullIn(ctx, id, cmd.Team, person)
	}
	var rerr *RequestError
	switch {
	case errors.As(err, &rerr):
		return message.HelperRefused(id, rerr.Msg)
	case err != nil && res.AlertID != 0:
		// Paged, but not linked on the alert: the page is what matters
		// at 3 a.m.; the error is logged.
		return message.HelperPaged(id, team, res.AlertID, major)
	case err != nil:
		s.log().Error("reply not applied", "alert", id, "person", person, "verb", cmd.Verb, "team", cmd.Team, "err", err)
		return message.TryAgain()
	case res.Status == "already major":
		return message.HelperAlready(id, team, 0, true)
	case res.Status == "already paged":
		return message.HelperAlready(id, team, res.AlertID, false)
	}
	return message.HelperPaged(id, team, res.AlertID, major)
}
