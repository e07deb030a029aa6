package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/notifier/twilio"
	"github.com/pagerd/pagerd/scheduler"
	"github.com/pagerd/pagerd/store"
)

// Twilio webhooks: SMS replies, voice keypresses and delivery status. Each
// is checked against X-Twilio-Signature before anything else; a request
// that fails gets 403 and changes nothing.

// maxForm bounds a webhook body: Twilio's are a few kilobytes.
const maxForm = 64 << 10

// twilioForm reads and authenticates a webhook. It answers 403 itself.
func (s *Server) twilioForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForm))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return nil, false
	}
	if !s.Twilio.Valid(r, form) {
		s.Log.Warn("twilio webhook with a bad signature refused", "path", r.URL.Path, "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return nil, false
	}
	return form, true
}

func writeTwiML(w http.ResponseWriter, xml string, err error) {
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, xml)
}

// twilioSMS takes a person's reply to a page.
func (s *Server) twilioSMS(w http.ResponseWriter, r *http.Request) {
	form, ok := s.twilioForm(w, r)
	if !ok {
		return
	}
	rt, err := s.rota()
	if err != nil {
		writeTwiMLs(w)(twilio.MessageTwiML("pagerd is starting; try again in a minute."))
		return
	}
	person, known := rt.PersonByNumber(form.Get("From"))
	if !known {
		// Unknown numbers learn nothing, not even that this is pagerd.
		s.Log.Warn("sms from an unknown number ignored", "from", redact(form.Get("From")))
		writeTwiML(w, emptyTwiML, nil)
		return
	}
	answer := s.reply(r.Context(), rt, person, form.Get("Body"))
	s.Log.Info("sms reply", "person", person, "answer", answer)
	x, err := twilio.MessageTwiML(answer)
	writeTwiML(w, x, err)
}

// writeTwiMLs curries writeTwiML so a TwiML builder's (xml, err) can be
// passed straight in.
func writeTwiMLs(w http.ResponseWriter) func(string, error) {
	return func(x string, err error) { writeTwiML(w, x, err) }
}

const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// redact keeps the country code and the last two digits of a number.
func redact(n string) string {
	if len(n) < 6 {
		return "***"
	}
	return n[:3] + strings.Repeat("*", len(n)-5) + n[len(n)-2:]
}

// reply carries out an SMS reply and says what happened, in one segment.
func (s *Server) reply(ctx context.Context, rt *scheduler.Rota, person, body string) string {
	cmd, err := message.ParseReply(body)
	var re *message.ReplyError
	if errors.As(err, &re) && re.Kind == message.OptOut {
		// Twilio now blocks texts to this person: say so loudly, since
		// pagerd can only call them until they reply START.
		s.Log.Error("a person opted out of SMS at Twilio; texts to them will fail until they reply START", "person", person)
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
		answer, ok := s.act(ctx, rt, person, id, cmd.Verb)
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

// act applies a person's ack, resolve or escalate to one alert, and says
// what happened, and whether it was done.
func (s *Server) act(ctx context.Context, rt *scheduler.Rota, person string, id int64, verb message.Verb) (string, bool) {
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
	var before escalation.State
	a, err := s.Store.Update(ctx, id, nil, func(a *store.Alert) (store.Change, error) {
		before = a.Esc
		return scheduler.Apply(a, ev, s.Clock.Now(), rt)
	})
	if err == nil {
		scheduler.LogTransition(s.Log, before, a)
	}
	var already *escalation.AlreadyError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return message.NoSuchAlert(id), false
	case errors.As(err, &already):
		return message.AlreadyDone(id, string(already.Status), already.By, already.At, s.personZone(rt, person)), false
	case errors.Is(err, escalation.ErrNoFurtherStep):
		return fmt.Sprintf("#%d: there is no further step to escalate to.", id), false
	case err != nil:
		s.Log.Error("reply not applied", "alert", id, "person", person, "err", err)
		return message.TryAgain(), false
	}
	s.noteAck(a, ev)
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

// twilioGather takes a keypress on a call.
func (s *Server) twilioGather(w http.ResponseWriter, r *http.Request) {
	form, ok := s.twilioForm(w, r)
	if !ok {
		return
	}
	rt, err := s.rota()
	if err != nil {
		writeTwiMLs(w)(twilio.SayTwiML("pagerd is starting. Goodbye."))
		return
	}
	person, known := rt.PersonByNumber(form.Get("To"))
	ids := queryIDs(r.URL.Query())
	if !known || len(ids) == 0 {
		writeTwiML(w, emptyTwiML, nil)
		return
	}
	var verb message.Verb
	switch strings.TrimSpace(form.Get("Digits")) {
	case twilio.AckDigit:
		verb = message.VerbAck
	case twilio.ResolveDigit:
		verb = message.VerbResolve
	case twilio.EscalateDigit:
		verb = message.VerbEscalate
	case twilio.RepeatDigit:
		a, err := s.Store.Get(r.Context(), ids[len(ids)-1])
		if err != nil {
			writeTwiMLs(w)(twilio.SayTwiML("Sorry, that alert is gone. Goodbye."))
			return
		}
		speech := message.Announce(message.Alert{ID: a.ID, Team: a.Team, Summary: a.Summary})
		writeTwiMLs(w)(twilio.GatherTwiML(speech, s.Twilio.GatherURL(r.URL.RawQuery)))
		return
	default:
		writeTwiMLs(w)(twilio.SayTwiML("No action taken. Goodbye."))
		return
	}
	var said []string
	for _, id := range ids {
		answer, _ := s.act(r.Context(), rt, person, id, verb)
		said = append(said, answer)
	}
	s.Log.Info("voice keypress", "person", person, "digits", form.Get("Digits"), "alerts", ids)
	// The SMS answers, read aloud: "#42" would be spoken "hash 42".
	text := strings.ReplaceAll(strings.Join(said, " "), "#", "alert ")
	writeTwiMLs(w)(twilio.SayTwiML(text + " Goodbye."))
}

func queryIDs(q url.Values) []int64 {
	var ids []int64
	for _, part := range strings.Split(q.Get("alerts"), ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		if id, err := strconv.ParseInt(q.Get("alert"), 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// twilioStatus records a delivery report; a page that didn't arrive moves
// the person on to their next contact method at once.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request) {
	form, ok := s.twilioForm(w, r)
	if !ok {
		return
	}
	st := twilio.ParseStatus(form)
	ids := queryIDs(r.URL.Query())
	page := r.URL.Query().Get("page")
	rt, err := s.rota()
	if err != nil || len(ids) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	person, _ := rt.PersonByNumber(form.Get("To"))
	method := escalation.Method(st.Kind)
	now := s.Clock.Now()
	for _, id := range ids {
		text := fmt.Sprintf("%s to %s: %s", st.Kind, person, st.State)
		if st.AnsweredBy != "" {
			text += " (answered by " + st.AnsweredBy + ")"
		}
		if st.ErrorCode != "" {
			text += ", Twilio error " + st.ErrorCode
		}
		key := fmt.Sprintf("%s-status-%s-%s", page, st.Kind, st.State)
		if err := s.Store.RecordEvent(r.Context(), id, key, store.Entry{At: now, Kind: "status", Text: text}); err != nil {
			// Twilio retries webhooks that fail: let it.
			s.Log.Error("status callback not recorded", "alert", id, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if !st.Failed || person == "" {
			continue
		}
		_, err := s.Store.Update(r.Context(), id, nil, func(a *store.Alert) (store.Change, error) {
			if a.Status() != escalation.StatusTriggered {
				return store.Change{}, store.ErrNoChange // answered some other way
			}
			return scheduler.Apply(a, escalation.DeliveryFailed{Person: person, Method: method, Reason: text}, now, rt)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Log.Error("delivery failure not applied", "alert", id, "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// personZone is where a person's times are shown.
func (s *Server) personZone(rt *scheduler.Rota, person string) *time.Location {
	if p, ok := rt.People[person]; ok && p.Location != nil {
		return p.Location
	}
	return time.UTC
}
