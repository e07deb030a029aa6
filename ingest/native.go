package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/didyoumean"
)

// Native JSON: pagerd's own format.

// nativeAlert is one alert in pagerd's own format.
type nativeAlert struct {
	RoutingKey string          `json:"routing_key"`
	Team       string          `json:"team"`
	Action     string          `json:"action"`
	Summary    string          `json:"summary"`
	Details    json.RawMessage `json:"details"`
	DedupKey   string          `json:"dedup_key"`
	Severity   string          `json:"severity"`
	Links      []string        `json:"links"`
}

// ParseNative parses the body of POST /api/v1/alerts, pagerd's own format:
// one JSON object, or an array of at most MaxBatch of them.
//
//	{
//	  "routing_key": "3f1c9d0e...",            // integration key; or name the team:
//	  "team": "payments",                      // at least one of routing_key, team
//	  "action": "trigger",                     // trigger (default), acknowledge, resolve
//	  "summary": "Card payments failing",      // required for trigger
//	  "details": {"error_rate": 0.31},         // a string, or any JSON (pretty-printed)
//	  "dedup_key": "payments-card-errors",     // required for acknowledge and resolve
//	  "severity": "critical",                  // critical (default), error, warning, info
//	  "links": ["https://grafana.example.com/d/payments"]  // http(s), at most 5
//	}
//
// A trigger without dedup_key gets a key made by the caller. Unknown fields
// are refused, so a typo such as "sumary" is an error instead of a page with
// no summary. If both routing_key and team are given the caller must check
// they agree. In a batch, the first bad item fails the whole request (the
// error names it, counting from 0), so nothing is half-accepted.
func ParseNative(body []byte) ([]alerts.Event, error) {
	first, err := checkBody(body)
	if err != nil {
		return nil, err
	}
	if err := syntaxError(body); err != nil {
		return nil, err
	}
	switch first {
	case '{':
		ev, err := parseNativeOne(body, 0)
		if err != nil {
			return nil, err
		}
		return []alerts.Event{ev}, nil
	case '[':
		return parseNativeBatch(body)
	default:
		return nil, badf("body must be a JSON object or an array of objects, not %s", jsonKind(first))
	}
}

func parseNativeBatch(body []byte) ([]alerts.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // '['; syntaxError has passed the body
		return nil, badf("body is not JSON: %v", err)
	}
	var events []alerts.Event
	for i := 0; dec.More(); i++ {
		if i == MaxBatch {
			return nil, &TooManyError{Max: MaxBatch, Msg: fmt.Sprintf("batch has more than %d alerts; send at most %d per request", MaxBatch, MaxBatch)}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, badf("body is not JSON: %v", err)
		}
		// RawMessage holds the item's exact bytes, so this is where it
		// starts in body: error offsets stay absolute.
		start := dec.InputOffset() - int64(len(raw))
		where := fmt.Sprintf("batch[%d]", i)
		if len(raw) == 0 || raw[0] != '{' {
			return nil, badf("%s must be a JSON object, not %s", where, jsonKind(firstByte(raw)))
		}
		ev, err := parseNativeOne(raw, start)
		if err != nil {
			return nil, prefixed(where, err)
		}
		events = append(events, ev)
	}
	if len(events) == 0 {
		return nil, badf("batch is empty; send at least one alert")
	}
	return events, nil
}

// parseNativeOne parses one object that starts at byte base of the body.
func parseNativeOne(data []byte, base int64) (alerts.Event, error) {
	var a nativeAlert
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		if name, ok := unknownField(err); ok {
			msg := fmt.Sprintf("unknown field %s", quote(name))
			if s := didyoumean.Closest(name, strings.Split(nativeFieldSet, ", ")); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return alerts.Event{}, badf("%s; the fields are %s", msg, nativeFieldSet)
		}
		return alerts.Event{}, decodeError(err, base)
	}

	ev := alerts.Event{Source: alerts.SourceAPI}
	switch act := strings.ToLower(strings.TrimSpace(a.Action)); act {
	case "":
		ev.Action = alerts.Trigger
	case string(alerts.Trigger), string(alerts.Acknowledge), string(alerts.Resolve):
		ev.Action = alerts.Action(act)
	default:
		return alerts.Event{}, badf("action %s is not one of trigger, acknowledge, resolve", quote(a.Action))
	}

	var err error
	if ev.RoutingKey, err = checkToken("routing_key", a.RoutingKey, MaxRoutingKey); err != nil {
		return alerts.Event{}, err
	}
	ev.Team = strings.TrimSpace(a.Team)
	if len(ev.Team) > alerts.MaxTeam || strings.ContainsFunc(ev.Team, unicode.IsControl) {
		return alerts.Event{}, badf(`"team" must be a team name of at most %d bytes without control characters`, alerts.MaxTeam)
	}
	if ev.RoutingKey == "" && ev.Team == "" {
		return alerts.Event{}, badf(`one of "routing_key" or "team" is required, to say whose alert this is`)
	}

	if ev.DedupKey, err = checkDedupKey(a.DedupKey); err != nil {
		return alerts.Event{}, err
	}
	if ev.Action != alerts.Trigger && ev.DedupKey == "" {
		return alerts.Event{}, badf(`"dedup_key" is required for %s: it names the alert to %s`, ev.Action, ev.Action)
	}

	ev.Summary = alerts.CleanLine(a.Summary, alerts.MaxSummary)
	if ev.Action == alerts.Trigger && ev.Summary == "" {
		return alerts.Event{}, badf(`"summary" is required for a trigger`)
	}

	if sev := strings.ToLower(strings.TrimSpace(a.Severity)); sev != "" {
		if !validSeverity(sev) {
			return alerts.Event{}, badf("severity %s is not one of critical, error, warning, info", quote(a.Severity))
		}
		ev.Severity = sev
	} else if ev.Action == alerts.Trigger {
		ev.Severity = alerts.SeverityCritical
	}

	ev.Details = alerts.CleanText(anyText(a.Details), alerts.MaxDetails)

	if len(a.Links) > alerts.MaxLinks {
		return alerts.Event{}, badf(`"links" has %d URLs; at most %d are allowed`, len(a.Links), alerts.MaxLinks)
	}
	for i, l := range a.Links {
		u, ok := cleanLink(l)
		if !ok {
			return alerts.Event{}, badf("links[%d] %s is not an http(s) URL of at most %d bytes", i, quote(l), alerts.MaxLink)
		}
		ev.Links = appendLink(ev.Links, u)
	}
	return ev, nil
}

// unknownField recognises DisallowUnknownFields' error, which has no type of
// its own, and returns the field's name.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	name := strings.TrimPrefix(msg, prefix)
	if s, uerr := strconv.Unquote(name); uerr == nil {
		name = s
	}
	return name, true
}
