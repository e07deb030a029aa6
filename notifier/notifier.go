// Package notifier sends pages to people. The engine hands it a Page; how
// the page reaches a phone (Twilio SMS or voice, or just the log on a
// machine without Twilio) is the notifier's business.
package notifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pagerd/pagerd/notifier/message"
)

// Page is one message to one person by one method.
type Page struct {
	AlertID    int64
	PageID     string // unique within the alert
	Team       string
	Summary    string
	Severity   string
	Person     string // id
	PersonName string
	Method     string // "sms" or "voice"
	To         string // E.164
	Role       string // the role paged, "" for a person target
	Shadow     bool   // a copy for someone shadowing the role
	// Late is how late the page is (the leader was down, or the page
	// could not be sent sooner); Held how long the person's rate limit
	// held it back. Neither is set when small.
	Late time.Duration
	Held time.Duration

	// Text, if set, is the SMS body to send as it is (the engine composes
	// it, for example to bundle several alerts into one message).
	Text string
	// Bundled lists the ids of every alert a bundled message is about, and
	// BundledPages their page ids, in the same order; both empty for a page
	// about AlertID alone.
	Bundled      []int64
	BundledPages []string
}

// Covers lists "alert/page" for every page this one message delivers.
func (p Page) Covers() []string {
	if len(p.Bundled) == 0 && p.AlertID == 0 {
		return nil // a handoff notice covers no alert
	}
	if len(p.Bundled) == 0 {
		return []string{fmt.Sprintf("%d/%s", p.AlertID, p.PageID)}
	}
	out := make([]string, len(p.Bundled))
	for i, id := range p.Bundled {
		page := ""
		if i < len(p.BundledPages) {
			page = p.BundledPages[i]
		}
		out[i] = fmt.Sprintf("%d/%s", id, page)
	}
	return out
}

// Receipt identifies a sent page at the provider.
type Receipt struct {
	Provider string
	ID       string
}

// Notifier sends pages. Send returns once the provider has accepted the
// page (not when it reached the phone). An error wrapped with Permanent
// means retrying won't help (a bad number); any other error may be retried.
type Notifier interface {
	Send(ctx context.Context, p Page) (Receipt, error)
	Name() string
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

type ambiguous struct{ err error }

func (a ambiguous) Error() string { return a.err.Error() }
func (a ambiguous) Unwrap() error { return a.err }

// Ambiguous marks err as an outcome that leaves it unknown whether the
// provider accepted the page: a timeout, a dropped connection, an answer
// from something between us and the provider. Before sending again the
// engine asks the provider (Finder) instead of risking a second page.
func Ambiguous(err error) error {
	if err == nil {
		return nil
	}
	return ambiguous{err}
}

// IsAmbiguous reports whether err was marked Ambiguous.
func IsAmbiguous(err error) bool {
	var a ambiguous
	return errors.As(err, &a)
}

// Finder is a notifier that can look up what it sent: the engine asks it
// after an ambiguous send, and when a new leader finds a send that its
// predecessor started but never recorded.
type Finder interface {
	// Find reports whether a message or call for p (to p.To, and for an
	// SMS with p's text) was created at the provider at or after since.
	Find(ctx context.Context, p Page, since time.Time) (Receipt, bool, error)
}

// Log writes each page to the log instead of sending it: the default when
// Twilio isn't configured, so a dry run shows exactly who would be woken.
type Log struct {
	Logger *slog.Logger
}

// Name is the provider name shown on timelines.
func (Log) Name() string { return "log" }

// Send logs the page.
func (l Log) Send(ctx context.Context, p Page) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	lg := l.Logger
	if lg == nil {
		lg = slog.Default()
	}
	// A call is logged with what it would say, a text with what it would
	// read: a dry run shows each person exactly what they would get.
	what := slog.String("text", Text(p))
	if p.Method == "voice" {
		what = slog.String("speech", Speech(p))
	}
	if p.AlertID == 0 && len(p.Bundled) == 0 {
		// A handoff notice: about a shift, not an alert.
		lg.LogAttrs(ctx, slog.LevelInfo, "NOTICE",
			slog.String("team", p.Team),
			slog.String("to", p.Person),
			slog.String("method", p.Method),
			slog.String("number", p.To),
			slog.String("role", p.Role),
			what,
		)
		return Receipt{Provider: "log", ID: "notice/" + p.Team + "/" + p.Role + "/" + p.Person}, nil
	}
	lg.LogAttrs(ctx, slog.LevelInfo, "PAGE",
		slog.Int64("alert", p.AlertID),
		slog.String("page", p.PageID),
		slog.String("team", p.Team),
		slog.String("to", p.Person),
		slog.String("method", p.Method),
		slog.String("number", p.To),
		slog.String("role", p.Role),
		slog.Bool("shadow", p.Shadow),
		slog.Any("covers", p.Covers()),
		what,
	)
	return Receipt{Provider: "log", ID: fmt.Sprintf("%d/%s", p.AlertID, p.PageID)}, nil
}

// Text is the page as a person reads it: the composed text if there is
// one, else a one-line default.
func Text(p Page) string {
	if p.Text != "" {
		return p.Text
	}
	prefix := ""
	if p.Shadow {
		prefix = "[shadow] "
	}
	return fmt.Sprintf("%s#%d %s: %s. Reply %da to ack, %dr to resolve.", prefix, p.AlertID, p.Team, p.Summary, p.AlertID, p.AlertID)
}

// Speech is what a voice page says before its keypad menu: the alert
// announced (message.Announce), with the count of a bundle.
func Speech(p Page) string {
	s := message.Announce(message.Alert{ID: p.AlertID, Team: p.Team, Summary: p.Summary, Shadow: p.Shadow, Late: p.Late})
	if n := len(p.Bundled); n > 1 {
		s = fmt.Sprintf("You have %d alerts. The latest: %s", n, s)
	}
	return s
}
