package mail

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/clock"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
)

// Intake turns parsed email into alert events by the teams' email routes,
// for the alerts service.
type Intake struct {
	Alerts *alerts.Service
	Rota   *inforce.Current
	Log    *slog.Logger
	// Clock tells a mail's age (from its arrival in the mailbox); nil is
	// the alerts service's clock.
	Clock clock.Clock
}

// lateAfter is the age past which a mail's alert says how old the mail
// is: mail normally reaches pagerd within seconds of arriving, so an older
// one waited while pagerd was down or not reading, and whoever is paged
// should know the problem may be that old.
const lateAfter = 2 * time.Minute

func (in *Intake) now() time.Time {
	switch {
	case in.Clock != nil:
		return in.Clock.Now()
	case in.Alerts != nil && in.Alerts.Clock != nil:
		return in.Alerts.Clock.Now()
	}
	return time.Now()
}

// cutNote ends the details of a mail whose body was cut.
const cutNote = "\n[the mail's body was cut at the size limit]"

// Deliver routes one mail. handled is false when no route matches (the
// mail is left alone); it is true only once the outcome is durable in
// etcd, so the watcher may then mark the mail processed.
func (in *Intake) Deliver(ctx context.Context, m Message) (handled bool, err error) {
	rt := in.Rota.Get()
	if rt == nil {
		return false, alerts.ErrNoRota
	}
	match, ok := Route(rt.Rota, m)
	if !ok {
		return false, nil
	}
	if match.Refused != "" {
		// Left untouched, like a mail no route matches: not marked
		// processed, so it stays visible in the mailbox.
		in.Alerts.Reject(alerts.SourceEmail, alerts.RejectUnauthenticated, "a mail failed its route's authentication",
			"message_id", alerts.CleanLine(m.MessageID, 200), "from", m.From, "team", match.Team, "route", match.Route, "why", match.Refused)
		return false, nil
	}
	summary := alerts.CleanLine(match.Summary, alerts.MaxSummary)
	if summary == "" {
		summary = "(no subject)"
	}
	severity := match.Severity
	if severity == "" {
		severity = alerts.SeverityCritical
	}
	ev := alerts.Event{Action: alerts.Trigger, Team: match.Team, Summary: summary, DedupKey: match.Key,
		Severity: severity, Source: alerts.SourceEmail, Origin: m.From, Details: m.Body,
		Route: match.Route, AnyRoute: match.ResolveAny}
	if match.Resolve {
		ev.Action = alerts.Resolve
	} else {
		if age := in.now().Sub(m.Arrived); !m.Arrived.IsZero() && age > lateAfter {
			ev.Age = age
			ev.Summary = alerts.CleanLine(summary+" (mail "+alerts.HumanAge(age)+" old)", alerts.MaxSummary)
		}
		if rec, ok := recoveredLater(rt.Rota, match, Backlog(ctx)); ok {
			ev.ResolvedMeanwhile = "its recovery mail was waiting too (" + alerts.CleanLine(rec.Subject, 200) + ")"
		}
	}
	if m.Truncated || len(ev.Details) > alerts.MaxDetails {
		ev.Details = alerts.Cut(ev.Details, alerts.MaxDetails-len(cutNote), "") + cutNote
	}
	res, err := in.Alerts.Receive(ctx, match.Team, ev)
	if err != nil {
		return false, fmt.Errorf("mail %s: %w", m.MessageID, err)
	}
	in.Log.Info("mail", "message_id", m.MessageID, "team", match.Team, "route", match.Route, "outcome", res.Status, "alert", res.AlertID)
	return true, nil
}

type backlogKey struct{}

// WithBacklog gives Deliver the mails waiting behind the one it is given,
// in the order they will come: a problem whose recovery is among them is
// over already, and pages nobody.
func WithBacklog(ctx context.Context, later []Message) context.Context {
	return context.WithValue(ctx, backlogKey{}, later)
}

// Backlog returns the mails WithBacklog put in ctx.
func Backlog(ctx context.Context) []Message {
	later, _ := ctx.Value(backlogKey{}).([]Message)
	return later
}

// recoveredLater finds, among the mails waiting behind a trigger, one that
// resolves it: the same team and key, from the same route (or a route
// that may resolve any), and not refused.
func recoveredLater(r *rotafile.Rota, trigger Match, later []Message) (Message, bool) {
	for _, m := range later {
		match, ok := Route(r, m)
		if !ok || !match.Resolve || match.Refused != "" || match.Team != trigger.Team || match.Key != trigger.Key {
			continue
		}
		if match.Route == trigger.Route || match.ResolveAny {
			return m, true
		}
	}
	return Message{}, false
}
