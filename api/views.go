package api

import (
	"fmt"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timefmt"
)

// The JSON shapes of the API, documented in openapi.json. Instants are
// timefmt.Time (RFC 3339, UTC, milliseconds; null when there is none) and
// named "..._at", except the bounds of an interval (since/until, from/to).

// Alert is an alert as the API shows it. Lists leave out its timeline and
// pending notifications.
type Alert struct {
	ID         int64             `json:"id"`
	Team       string            `json:"team"`
	Status     escalation.Status `json:"status"`
	Summary    string            `json:"summary"`
	Details    string            `json:"details,omitempty"`
	DedupKey   string            `json:"dedup_key"`
	Severity   string            `json:"severity,omitempty"`
	Source     string            `json:"source"`
	Origin     string            `json:"origin,omitempty"`
	Links      []string          `json:"links,omitempty"`
	Count      int               `json:"count"` // times received, repeats included
	CreatedAt  timefmt.Time      `json:"created_at"`
	UpdatedAt  timefmt.Time      `json:"updated_at"`
	LastSeenAt timefmt.Time      `json:"last_seen_at"`
	RotaRev    int64             `json:"rota_rev"`
	// Urgency is high or low; HeldUntilAt, while a low-urgency alert waits
	// for business hours, is when it will page (null otherwise).
	Urgency     escalation.Urgency `json:"urgency"`
	HeldUntilAt timefmt.Time       `json:"held_until_at"`
	Escalation  Escalation         `json:"escalation"`
	Timeline    []Entry            `json:"timeline,omitempty"`
	// Retired is set when the alert's full record has been retired: what
	// is shown is its summary (no timeline), and Retired says where the
	// full timeline is.
	Retired *Retired `json:"retired,omitempty"`
}

// Escalation is where an alert stands in its team's policy.
type Escalation struct {
	Pass           int          `json:"pass"` // 0-based
	Step           int          `json:"step"` // 0-based
	StepStartedAt  timefmt.Time `json:"step_started_at"`
	StepDeadlineAt timefmt.Time `json:"step_deadline_at"`
	Exhausted      bool         `json:"exhausted"`
	AckedBy        string       `json:"acked_by,omitempty"`
	AckedAt        timefmt.Time `json:"acked_at"`
	ResolvedBy     string       `json:"resolved_by,omitempty"`
	ResolvedAt     timefmt.Time `json:"resolved_at"`
	Pending        []Pending    `json:"pending,omitempty"`
}

// Pending is a notification still to send.
type Pending struct {
	Person string       `json:"person"`
	Role   string       `json:"role,omitempty"`
	Shadow bool         `json:"shadow"`
	Method string       `json:"method"`
	DueAt  timefmt.Time `json:"due_at"`
}

// Entry is one line of an alert's timeline.
type Entry struct {
	At   timefmt.Time `json:"at"`
	Kind string       `json:"kind"`
	Text string       `json:"text"`
	By   string       `json:"by,omitempty"`
}

// AlertOf shows a stored alert; full adds its timeline and pending
// notifications.
func AlertOf(a *store.Alert, full bool) Alert {
	e := a.Esc
	out := Alert{
		ID: a.ID, Team: a.Team, Status: a.Status(), Summary: a.Summary, Details: a.Details, DedupKey: a.DedupKey,
		Severity: a.Severity, Source: a.Source, Origin: a.Origin, Links: a.Links, Count: a.Count,
		CreatedAt: timefmt.Of(a.CreatedAt), UpdatedAt: timefmt.Of(a.UpdatedAt), LastSeenAt: timefmt.Of(a.LastSeenAt),
		RotaRev: a.RotaRev, Urgency: escalation.High,
		Escalation: Escalation{Pass: e.Pass, Step: e.Step, StepStartedAt: timefmt.Of(e.StepStarted),
			StepDeadlineAt: timefmt.Of(e.StepDeadline), Exhausted: e.Exhausted, AckedBy: e.AckedBy,
			AckedAt: timefmt.Of(e.AckedAt), ResolvedBy: e.ResolvedBy, ResolvedAt: timefmt.Of(e.ResolvedAt)},
	}
	if e.Urgency == escalation.Low {
		out.Urgency = escalation.Low
	}
	if e.Held() {
		out.HeldUntilAt = timefmt.Of(e.HeldUntil)
	}
	if !full {
		return out
	}
	out.Timeline = make([]Entry, len(a.Timeline))
	for i, t := range a.Timeline {
		out.Timeline[i] = Entry{At: timefmt.Of(t.At), Kind: t.Kind, Text: t.Text, By: t.By}
	}
	for _, p := range e.Pending {
		out.Escalation.Pending = append(out.Escalation.Pending, Pending{Person: p.Person, Role: p.Role, Shadow: p.Shadow, Method: string(p.Method), DueAt: timefmt.Of(p.Due)})
	}
	return out
}

// AlertList is a page of alerts, newest first. Truncated says more match:
// ask again with cursor=NextCursor.
type AlertList struct {
	Alerts     []Alert `json:"alerts"`
	Truncated  bool    `json:"truncated"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// OnCallRow is one role holder or shadow, the same in GET /api/v1/oncall,
// `pagerd who --json` and `pagerd shifts --json`. Role is the plain role
// name; Shadow and Reverse say what kind of row it is. A role nobody holds
// has a row with a null person and source. Since and Until are the bounds
// of the whole shift (cut to the interval asked for, in shifts); null is no
// bound.
type OnCallRow struct {
	Team    string       `json:"team"`
	Role    string       `json:"role"`
	Person  *string      `json:"person"`
	Shadow  bool         `json:"shadow"`
	Reverse bool         `json:"reverse"`
	Source  *string      `json:"source"`
	Note    string       `json:"note"`
	Since   timefmt.Time `json:"since"`
	Until   timefmt.Time `json:"until"`
}

// Nobody is a row for a role nobody holds.
func Nobody(team, role string) OnCallRow { return OnCallRow{Team: team, Role: role} }

// ShiftRow is a holder's or shadow's shift as a row.
func ShiftRow(s rotation.Shift) OnCallRow {
	person, source := s.Person, string(s.Source)
	return OnCallRow{Team: s.Team, Role: s.Role, Person: &person, Shadow: s.Source == rotation.SourceShadow,
		Reverse: s.Reverse, Source: &source, Note: s.Note, Since: timefmt.Of(s.Start), Until: timefmt.Of(s.End)}
}

// WhoRows are the rows of every role of a team at an instant: its holder
// (or a Nobody row), then its shadows.
func WhoRows(team string, who []rotation.OnCall) []OnCallRow {
	var rows []OnCallRow
	for _, oc := range who {
		if oc.Holder == nil {
			rows = append(rows, Nobody(team, oc.Role))
		} else {
			rows = append(rows, ShiftRow(*oc.Holder))
		}
		for _, sh := range oc.Shadows {
			rows = append(rows, ShiftRow(sh))
		}
	}
	return rows
}

// OnCall is the answer of GET /api/v1/oncall.
type OnCall struct {
	RotaRev int64       `json:"rota_rev"`
	OnCall  []OnCallRow `json:"oncall"`
}

// Retired says that an alert's full record has left etcd's live keyspace:
// what is shown is its summary, and where its full timeline is.
type Retired struct {
	RetiredAt timefmt.Time `json:"retired_at"`
	// Archived: the full record, timeline included, is in the archive (in
	// etcd, or the bucket) until ArchiveUntilAt (`pagerd archive search --id N`, GET
	// /api/v1/archive?id=N). Not archived: the archive has expired (or
	// none was kept), and only the node that retired it may have it in
	// its JSON-lines export.
	Archived       bool         `json:"archived"`
	ArchiveUntilAt timefmt.Time `json:"archive_until_at"`
	// ArchiveObject is the object in the archive bucket ("": the archive
	// is in etcd).
	ArchiveObject string `json:"archive_object,omitempty"`
	// Pages is how many messages and calls were sent for it.
	Pages int `json:"pages"`
	// Note says the above in a sentence, for people.
	Note string `json:"note"`
}

// AlertOfSummary shows a retired alert from its summary, as of now.
func AlertOfSummary(s store.Summary, now time.Time) Alert {
	out := Alert{
		ID: s.ID, Team: s.Team, Status: escalation.StatusResolved, Summary: s.Summary, Severity: s.Severity,
		Source: s.Source, Count: s.Count, CreatedAt: timefmt.Of(s.CreatedAt), UpdatedAt: timefmt.Of(s.ResolvedAt),
		LastSeenAt: timefmt.Of(s.CreatedAt), Urgency: escalation.High,
		Escalation: Escalation{AckedBy: s.AckedBy, AckedAt: timefmt.Of(s.AckedAt), ResolvedBy: s.ResolvedBy, ResolvedAt: timefmt.Of(s.ResolvedAt)},
	}
	if s.Urgency == escalation.Low {
		out.Urgency = escalation.Low
	}
	r := &Retired{RetiredAt: timefmt.Of(s.RetiredAt), Pages: s.Pages, ArchiveUntilAt: timefmt.Of(s.ArchiveUntil), ArchiveObject: s.ArchiveObject}
	r.Archived = !s.ArchiveUntil.IsZero() && now.Before(s.ArchiveUntil)
	when := s.RetiredAt.UTC().Format(time.RFC3339)
	switch {
	case r.Archived:
		where := "in etcd"
		if s.ArchiveObject != "" {
			where = "in the archive bucket as " + s.ArchiveObject
		}
		r.Note = fmt.Sprintf("retired from the live keyspace at %s; this is its summary. The full timeline is archived %s until %s: pagerd archive search --id %d (GET /api/v1/archive?id=%d)",
			when, where, s.ArchiveUntil.UTC().Format(time.RFC3339), s.ID, s.ID)
	case s.ArchiveUntil.IsZero():
		r.Note = fmt.Sprintf("retired at %s with no archive kept (archive_retention 0); this is its summary. The full timeline is only in the JSON-lines export (archive_file) of the node that retired it", when)
	default:
		r.Note = fmt.Sprintf("retired at %s; its archive expired at %s (archive_retention). This is its summary; the full timeline is only in the JSON-lines export (archive_file) of the node that retired it",
			when, s.ArchiveUntil.UTC().Format(time.RFC3339))
	}
	out.Retired = r
	return out
}
