package ingest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pagerd/pagerd/alerts"
)

// The PagerDuty Events API v2 shape.

type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	ServiceKey  string     `json:"service_key"` // Events API v1; only for a hint
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key"`
	Payload     *pdPayload `json:"payload"`
	Links       []pdLink   `json:"links"`
	Client      string     `json:"client"`
	ClientURL   string     `json:"client_url"`
	// images are not decoded: pagerd pages by SMS and voice.
}

type pdPayload struct {
	Summary       string          `json:"summary"`
	Source        string          `json:"source"`
	Severity      string          `json:"severity"`
	Timestamp     string          `json:"timestamp"`
	Component     string          `json:"component"`
	Group         string          `json:"group"`
	Class         string          `json:"class"`
	CustomDetails json.RawMessage `json:"custom_details"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// ParsePagerDuty parses the body of POST /api/v1/integrations/pagerduty, a
// PagerDuty Events API v2 event, so tools that can page PagerDuty can page
// pagerd by changing the URL. It checks what PagerDuty checks: routing_key
// always (any non-empty token up to MaxRoutingKey bytes, not only
// PagerDuty's 32); payload.summary, payload.source and payload.severity for
// a trigger; dedup_key for acknowledge and resolve. Unknown fields are
// ignored, as PagerDuty does.
//
//   - Origin: payload.source.
//   - Details: component, group, class, client and timestamp lines, then
//     custom_details pretty-printed. The short lines come first so cutting a
//     huge custom_details never hides them.
//   - Links: links[].href, then client_url; ones that are not http(s) URLs
//     are dropped, not refused, as PagerDuty would still take the event.
//   - On acknowledge and resolve the payload is optional and not checked,
//     as in PagerDuty; what it has is kept when valid.
func ParsePagerDuty(body []byte) ([]alerts.Event, error) {
	if err := objectBody(body, "a PagerDuty Events API v2 event"); err != nil {
		return nil, err
	}
	var p pdEvent
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, decodeError(err, 0)
	}

	ev := alerts.Event{Source: alerts.SourcePagerDuty}
	var err error
	if ev.RoutingKey, err = checkToken("routing_key", p.RoutingKey, MaxRoutingKey); err != nil {
		return nil, err
	}
	if ev.RoutingKey == "" {
		if strings.TrimSpace(p.ServiceKey) != "" {
			return nil, badf(`"routing_key" is missing; this looks like Events API v1 (service_key), but this endpoint takes Events API v2: routing_key, event_action, payload`)
		}
		return nil, badf(`"routing_key" is missing or blank`)
	}

	switch act := strings.ToLower(strings.TrimSpace(p.EventAction)); act {
	case string(alerts.Trigger), string(alerts.Acknowledge), string(alerts.Resolve):
		ev.Action = alerts.Action(act)
	case "":
		return nil, badf(`"event_action" is missing; it is one of trigger, acknowledge, resolve`)
	default:
		return nil, badf("event_action %s is not one of trigger, acknowledge, resolve", quote(p.EventAction))
	}

	if ev.DedupKey, err = checkDedupKey(p.DedupKey); err != nil {
		return nil, err
	}
	if ev.Action != alerts.Trigger && ev.DedupKey == "" {
		return nil, badf(`"dedup_key" is missing or blank; it is required for event_action %s`, ev.Action)
	}

	pl := p.Payload
	if pl == nil {
		if ev.Action == alerts.Trigger {
			return nil, badf(`"payload" is missing; a trigger needs payload.summary, payload.source and payload.severity`)
		}
		pl = &pdPayload{}
	}
	ev.Summary = alerts.CleanLine(pl.Summary, alerts.MaxSummary)
	ev.Origin = alerts.CleanLine(pl.Source, alerts.MaxOrigin)
	sev := strings.ToLower(strings.TrimSpace(pl.Severity))
	if ev.Action == alerts.Trigger {
		switch {
		case ev.Summary == "":
			return nil, badf(`"payload.summary" is missing or blank; it is required for a trigger`)
		case ev.Origin == "":
			return nil, badf(`"payload.source" is missing or blank; it is required for a trigger`)
		case sev == "":
			return nil, badf(`"payload.severity" is missing or blank; it is one of critical, error, warning, info`)
		case !validSeverity(sev):
			return nil, badf("payload.severity %s is not one of critical, error, warning, info", quote(pl.Severity))
		}
	}
	if validSeverity(sev) {
		ev.Severity = sev
	}

	var b strings.Builder
	for _, kv := range [][2]string{
		{"component", pl.Component}, {"group", pl.Group}, {"class", pl.Class},
		{"client", p.Client}, {"timestamp", pl.Timestamp},
	} {
		if v := alerts.CleanLine(kv[1], detailLineCap); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], v)
		}
	}
	if cd := anyText(pl.CustomDetails); strings.TrimSpace(cd) != "" {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(cd)
	}
	ev.Details = alerts.CleanText(b.String(), alerts.MaxDetails)

	for _, l := range p.Links {
		if u, ok := cleanLink(l.Href); ok {
			ev.Links = appendLink(ev.Links, u)
		}
	}
	if u, ok := cleanLink(p.ClientURL); ok {
		ev.Links = appendLink(ev.Links, u)
	}
	return []alerts.Event{ev}, nil
}
