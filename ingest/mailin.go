package ingest

import (
	"context"
	"fmt"
	"strings"

	"github.com/pagerd/pagerd/ingest/mail"
)

// DeliverMail turns a parsed email into an alert event by the teams' email
// routes. handled is false when no route matches (the mail is left alone);
// it is true only once the outcome is durable in etcd, so the watcher may
// then mark the mail processed.
func (s *Server) DeliverMail(ctx context.Context, m mail.Message) (handled bool, err error) {
	rt, err := s.rota()
	if err != nil {
		return false, err
	}
	match, ok := mail.Route(rt.Rota, m)
	if !ok {
		return false, nil
	}
	ev := Event{Action: Trigger, Team: match.Team, Summary: cleanSummary(match.Summary), DedupKey: match.Key,
		Severity: SeverityCritical, Source: "email", Origin: m.From}
	if match.Resolve {
		ev.Action = Resolve
	}
	ev.Details = m.Body
	if len(ev.Details) > MaxDetails {
		ev.Details = ev.Details[:MaxDetails]
		m.Truncated = true
	}
	if m.Truncated {
		ev.Details = strings.ToValidUTF8(ev.Details, "") + "\n[the mail's body was cut at the size limit]"
	}
	if len(ev.DedupKey) > MaxDedupKey {
		ev.DedupKey = ev.DedupKey[:MaxDedupKey]
	}
	res, err := s.Handle(ctx, match.Team, ev)
	if err != nil {
		return false, fmt.Errorf("mail %s: %w", m.MessageID, err)
	}
	s.Log.Info("mail", "message_id", m.MessageID, "team", match.Team, "route", match.Route, "outcome", res.Status, "alert", res.AlertID)
	return true, nil
}

// cleanSummary keeps a summary within what an alert takes.
func cleanSummary(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > MaxSummary {
		s = strings.ToValidUTF8(s[:MaxSummary], "")
	}
	if s == "" {
		s = "(no subject)"
	}
	return s
}
