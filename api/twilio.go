package api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/notifier/message"
	"github.com/pagerd/pagerd/notifier/twilio"
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
	answer := s.Alerts.Reply(r.Context(), person, form.Get("Body"))
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
	ids, _ := s.callbackAlerts(r)
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
		// The call again, as it began: a call about a bundle says how many
		// alerts it covers.
		a, err := s.Store.Get(r.Context(), ids[len(ids)-1])
		if err != nil {
			writeTwiMLs(w)(twilio.SayTwiML("Sorry, that alert is gone. Goodbye."))
			return
		}
		speech := message.AnnounceAll(message.Alert{ID: a.ID, Team: a.Team, Summary: a.Summary}, len(ids))
		writeTwiMLs(w)(twilio.GatherTwiML(speech, s.Twilio.GatherURL(r.URL.RawQuery)))
		return
	default:
		writeTwiMLs(w)(twilio.SayTwiML("No action taken. Goodbye."))
		return
	}
	if verb == message.VerbEscalate && len(ids) > 1 {
		// As by SMS: a storm must not wake the next step many times over.
		writeTwiMLs(w)(twilio.SayTwiML("This call is about " + strconv.Itoa(len(ids)) + " alerts: escalate them one at a time, by text or in pagerd. Nothing was changed. Goodbye."))
		return
	}
	// The key covers every alert the call was about; the answer is one
	// short spoken summary, never a reply hint (the person may have no SMS
	// number).
	o := s.Alerts.ActAll(r.Context(), person, ids, verb)
	s.Log.Info("voice keypress", "person", person, "digits", form.Get("Digits"), "alerts", len(ids), "done", len(o.Done))
	writeTwiMLs(w)(twilio.SayTwiML(message.Spoken(o) + " Goodbye."))
}

// callbackAlerts reads the alerts a callback URL (built by the Twilio
// notifier) is about: every alert of a bundle, or the one alert. A query
// that isn't one of ours is logged and means none.
func (s *Server) callbackAlerts(r *http.Request) ([]int64, twilio.Callback) {
	cb, err := twilio.ParseCallback(r.URL.Query())
	if err != nil {
		s.Log.Warn("twilio callback with a query pagerd did not write", "path", r.URL.Path, "err", err)
		return nil, twilio.Callback{}
	}
	if len(cb.Alerts) > 0 {
		return cb.Alerts, cb
	}
	return []int64{cb.AlertID}, cb
}

// twilioStatus records a delivery report; a page that didn't arrive moves
// the person on to their next contact method at once.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request) {
	form, ok := s.twilioForm(w, r)
	if !ok {
		return
	}
	st := twilio.ParseStatus(form)
	ids, cb := s.callbackAlerts(r)
	rt, err := s.rota()
	if err != nil || len(ids) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	person, _ := rt.PersonByNumber(form.Get("To"))
	text := fmt.Sprintf("%s to %s: %s", st.Kind, person, st.State)
	if st.AnsweredBy != "" {
		text += " (answered by " + st.AnsweredBy + ")"
	}
	if st.ErrorCode != "" {
		text += ", Twilio error " + st.ErrorCode
	}
	rep := alerts.DeliveryReport{
		Key:    fmt.Sprintf("%s-status-%s-%s", cb.PageID, st.Kind, st.State),
		Person: person, Method: escalation.Method(st.Kind), Text: text, Failed: st.Failed,
		Alert: cb.AlertID, Page: cb.PageID,
	}
	// One report about one message: a bundle's alerts are moved on
	// together, so an undelivered bundled text becomes one call.
	if err := s.Alerts.Delivery(r.Context(), ids, rep); err != nil {
		// Twilio retries webhooks that fail, and a report is recorded
		// once by its key: let it.
		s.Log.Error("status callback not recorded", "alerts", ids, "page", cb.PageID, "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
