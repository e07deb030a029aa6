package api

import (
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
