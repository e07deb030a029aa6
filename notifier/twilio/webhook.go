package twilio

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header carrying Twilio's webhook signature.
const SignatureHeader = "X-Twilio-Signature"

// Valid reports whether r, a webhook whose POST form is form (r.PostForm,
// not r.Form: query parameters are part of the signed URL, not of the
// signed form), carries a valid X-Twilio-Signature.
//
// The signature covers the URL Twilio requested, which is one this package
// built from PublicURL, so the URL checked is PublicURL + r.URL.RequestURI()
// rather than anything rebuilt from r.Host and r.TLS: behind a reverse
// proxy or TLS terminator, the scheme, host and port pagerd sees are not
// the ones Twilio used. A path prefix in PublicURL is expected to be
// stripped by the proxy. Like twilio-go's validator, a signature made
// with or without the default port passes. Only the first value of each
// form key is signed over; Twilio's webhooks don't repeat keys.
func (n *Notifier) Valid(r *http.Request, form url.Values) bool {
	sig := r.Header.Get(SignatureHeader)
	if sig == "" || r.URL == nil {
		return false
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) > 0 {
			params[k] = vs[0]
		}
	}
	v := client.NewRequestValidator(n.authToken)
	return v.Validate(n.public+r.URL.RequestURI(), params, sig)
}

// GatherURL is the Gather action URL for a callback query (the raw query of
// a gather or status callback this package built), for answering a
// keypress with another Gather.
func (n *Notifier) GatherURL(rawQuery string) string {
	u := n.public + GatherPath
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return u
}

// Callback is what the query of a callback URL built by this package says.
type Callback struct {
	AlertID int64
	PageID  string
	// Alerts lists every alert of a bundled SMS (AlertID included); nil for
	// a page about AlertID alone.
	Alerts []int64
}

// ParseCallback reads the alert and page ids from the query of a status or
// gather callback URL (r.URL.Query()).
func ParseCallback(q url.Values) (Callback, error) {
	var c Callback
	id, err := strconv.ParseInt(q.Get("alert"), 10, 64)
	if err != nil {
		return Callback{}, fmt.Errorf("twilio callback: alert %q: %w", q.Get("alert"), err)
	}
	c.AlertID = id
	c.PageID = q.Get("page")
	if c.PageID == "" {
		return Callback{}, errors.New("twilio callback: no page id")
	}
	if s := q.Get("alerts"); s != "" {
		for _, f := range strings.Split(s, ",") {
			lo, hi, isRange := strings.Cut(f, "-")
			from, err := strconv.ParseInt(lo, 10, 64)
			to := from
			if err == nil && isRange {
				to, err = strconv.ParseInt(hi, 10, 64)
			}
			if err != nil {
				return Callback{}, fmt.Errorf("twilio callback: alerts %q: %w", s, err)
			}
			if to < from || to-from >= maxCallbackAlerts || len(c.Alerts)+int(to-from+1) > maxCallbackAlerts {
				return Callback{}, fmt.Errorf("twilio callback: alerts %q: not a range of at most %d alerts", s, maxCallbackAlerts)
			}
			for id := from; id <= to; id++ {
				c.Alerts = append(c.Alerts, id)
			}
		}
	}
	return c, nil
}

// maxCallbackAlerts bounds the alerts one callback names: a bundle holds a
// storm's worth, never a million.
const maxCallbackAlerts = 100000

// Status is a status callback from Twilio about a message or a call.
type Status struct {
	Kind string // "sms" or "voice"; "" if the form is neither
	SID  string // MessageSid or CallSid
	// State is the MessageStatus (queued, sending, sent, delivered,
	// undelivered, failed, …) or the CallStatus (completed, busy,
	// no-answer, failed, canceled, …).
	State string
	// AnsweredBy is set for calls placed with machine detection: human,
	// machine_start, machine_end_beep, machine_end_silence,
	// machine_end_other, fax or unknown.
	AnsweredBy string
	ErrorCode  string // Twilio error code as sent (30003, say), "" if none
	// Failed reports that the page did not reach a person: an undelivered
	// or failed message; a busy, unanswered, failed or canceled call; or a
	// call a machine (or fax) answered without a key being pressed.
	Failed bool
}

// ParseStatus reads a status callback's form (r.PostForm). A form with a
// CallSid is a call's; otherwise one with a MessageSid (or SmsSid) is a
// message's.
func ParseStatus(form url.Values) Status {
	var s Status
	s.ErrorCode = strings.TrimSpace(form.Get("ErrorCode"))
	switch {
	case form.Get("CallSid") != "":
		s.Kind = "voice"
		s.SID = form.Get("CallSid")
		s.State = strings.ToLower(form.Get("CallStatus"))
		s.AnsweredBy = strings.ToLower(form.Get("AnsweredBy"))
		switch s.State {
		case "busy", "no-answer", "failed", "canceled":
			s.Failed = true
		}
		machine := strings.HasPrefix(s.AnsweredBy, "machine") || s.AnsweredBy == "fax"
		if machine && form.Get("Digits") == "" {
			s.Failed = true
		}
	case form.Get("MessageSid") != "" || form.Get("SmsSid") != "":
		s.Kind = "sms"
		s.SID = first(form.Get("MessageSid"), form.Get("SmsSid"))
		s.State = strings.ToLower(first(form.Get("MessageStatus"), form.Get("SmsStatus")))
		switch s.State {
		case "undelivered", "failed":
			s.Failed = true
		}
	}
	return s
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
