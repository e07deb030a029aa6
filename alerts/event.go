package alerts

import "time"

// Action is what an event asks for.
type Action string

// Actions, named as in the PagerDuty Events API v2.
const (
	Trigger     Action = "trigger"
	Acknowledge Action = "acknowledge"
	Resolve     Action = "resolve"
)

// Severities, in PagerDuty's vocabulary, which the other formats map onto.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Sources: which intake made an Event.
const (
	SourceAPI          = "api"
	SourceAlertmanager = "alertmanager"
	SourcePagerDuty    = "pagerduty"
	SourceEmail        = "email"
)

// Limits of what an alert holds. Longer summaries and details are cut, not
// refused: a page that arrives shortened beats one that never arrives.
const (
	MaxSummary  = 1024     // bytes of Event.Summary (PagerDuty's limit, and an SMS is far shorter)
	MaxDetails  = 16 << 10 // bytes of Event.Details
	MaxDedupKey = 255      // bytes of Event.DedupKey (PagerDuty's limit)
	MaxTeam     = 128      // bytes of a team name
	MaxOrigin   = 255      // bytes of Event.Origin
	MaxLinks    = 5        // Event.Links
	MaxLink     = 2048     // bytes of one link; longer ones are dropped
	MaxBy       = 64       // bytes of an actor's name
)

// Event is one alert action, normalised from any intake (HTTP payloads,
// email). The service cleans every text field again on the way in (see
// Clean), so an intake that forgets cannot store control characters.
type Event struct {
	Action Action
	// RoutingKey is the integration key carried in the payload (PagerDuty
	// routing_key, native routing_key), "" if none.
	RoutingKey string
	// Team: native JSON may name the team directly.
	Team string
	// Summary is one line: whitespace runs collapsed to one space, control
	// and bidi-override characters removed, trimmed, at most MaxSummary bytes
	// (cut on a UTF-8 boundary, ending "…"). Never empty for a Trigger.
	Summary string
	// Details is free text (newlines and tabs kept, other control characters
	// removed), at most MaxDetails bytes (cut, ending "\n[truncated]").
	Details string
	// DedupKey is at most MaxDedupKey bytes; "" means "make one" (the
	// service uses the alert id). Never empty for Acknowledge and Resolve.
	DedupKey string
	// Severity is critical, error, warning or info. A Trigger always has one:
	// the default is critical, because an alert somebody routed to a pager
	// should page, and under-paging is the worse mistake. Acknowledge and
	// Resolve carry one only if the payload does ("" otherwise), so they
	// never overwrite the open alert's severity with a default.
	Severity string
	// Source is one of the Source constants.
	Source string
	// Origin is where the alert came from: PagerDuty payload.source,
	// Alertmanager's instance (else job) label, a mail's sender.
	Origin string
	// Links are http(s) URLs, at most MaxLinks, without duplicates.
	Links []string
	// Route is the email route that made the event ("" for HTTP): the
	// alert it raises records it, and an Acknowledge or Resolve from a
	// route acts only on an alert that route raised, unless AnyRoute.
	Route    string
	AnyRoute bool
	// Age is how old the event was when pagerd received it, when the
	// intake knows and it matters (a mail that waited in the mailbox while
	// pagerd was down); the new alert's timeline says so. 0: fresh.
	Age time.Duration
	// ResolvedMeanwhile, on a Trigger, says why the alert is over already
	// (its recovery mail was waiting behind it): the alert is recorded,
	// raised and resolved at once, and nobody is paged.
	ResolvedMeanwhile string
	// Labels are an Alertmanager alert's labels, read only for the label a
	// team names as its severity (rotafile Urgency.AlertmanagerLabel);
	// never stored.
	Labels map[string]string
}

// Result is what happened to one alert event.
type Result struct {
	Status   string `json:"status"` // created, deduplicated, acknowledged, resolved, ignored
	AlertID  int64  `json:"alert_id,omitempty"`
	DedupKey string `json:"dedup_key,omitempty"`
	Message  string `json:"message,omitempty"`
}
