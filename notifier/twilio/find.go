package twilio

import (
	"context"
	"fmt"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/pagerd/pagerd/notifier"
)

// findSlack widens the look-back for clock skew between pagerd and Twilio.
const findSlack = 5 * time.Second

// findLimit is how many of the newest messages or calls to a number are
// read: a person gets a message or a call at most every few seconds.
const findLimit = 50

// Find reports whether Twilio holds a message with p's body, or a call
// from VoiceFrom, to p.To created at or after since (less a few seconds of
// clock skew). An SMS is matched by its text, which names the alerts it is
// about; a call by its number, since pagerd calls one person at most once
// per voice interval.
func (n *Notifier) Find(ctx context.Context, p notifier.Page, since time.Time) (notifier.Receipt, bool, error) {
	after := since.Add(-findSlack)
	var sid string
	var found bool
	err := n.run(ctx, func(api *openapi.ApiService) error {
		switch p.Method {
		case "sms":
			want := n.messageParams(p).Body
			params := &openapi.ListMessageParams{}
			params.SetTo(p.To)
			params.SetPageSize(findLimit)
			params.SetLimit(findLimit)
			msgs, err := api.ListMessage(params)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if m.Sid == nil || m.Body == nil || !createdSince(m.DateCreated, after) {
					continue
				}
				// Twilio may append to a body (opt-out text of a
				// messaging service), never change what we sent.
				if want != nil && strings.HasPrefix(*m.Body, *want) {
					sid, found = *m.Sid, true
					return nil
				}
			}
		case "voice":
			params := &openapi.ListCallParams{}
			params.SetTo(p.To)
			if n.voiceFrom != "" {
				params.SetFrom(n.voiceFrom)
			}
			params.SetPageSize(findLimit)
			params.SetLimit(findLimit)
			calls, err := api.ListCall(params)
			if err != nil {
				return err
			}
			for _, c := range calls {
				if c.Sid != nil && createdSince(c.DateCreated, after) {
					sid, found = *c.Sid, true
					return nil
				}
			}
		default:
			return fmt.Errorf("unsupported method %q", p.Method)
		}
		return nil
	})
	if err != nil {
		return notifier.Receipt{}, false, fmt.Errorf("twilio: looking up %s page %d/%s to %s: %w", p.Method, p.AlertID, p.PageID, p.To, err)
	}
	if !found {
		return notifier.Receipt{}, false, nil
	}
	return notifier.Receipt{Provider: Provider, ID: sid}, true, nil
}

// createdSince reads Twilio's date_created (RFC 2822, as "Mon, 16 Aug
// 2010 03:45:01 +0000"); one it can't read counts as recent, so a page is
// not sent twice over a date format.
func createdSince(s *string, after time.Time) bool {
	if s == nil {
		return true
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, *s); err == nil {
			return !t.Before(after)
		}
	}
	return true
}
