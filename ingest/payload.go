// Package ingest takes alerts in: the HTTP API and integrations, and email.
//
// The HTTP payload parsers (pagerd's native JSON, the Prometheus
// Alertmanager webhook, the PagerDuty Events API v2 shape) are pure
// functions of the request body, so the handlers stay thin and the fuzzers
// reach every branch.
package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

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

// Sources: which parser made an Event.
const (
	SourceAPI          = "api"
	SourceAlertmanager = "alertmanager"
	SourcePagerDuty    = "pagerduty"
)

// Limits. Longer summaries and details are cut, not refused: a page that
// arrives shortened beats one that never arrives.
const (
	MaxBody       = 1 << 20  // bytes of request body
	MaxSummary    = 1024     // bytes of Event.Summary (PagerDuty's limit, and an SMS is far shorter)
	MaxDetails    = 16 << 10 // bytes of Event.Details
	MaxDedupKey   = 255      // bytes of Event.DedupKey (PagerDuty's limit)
	MaxRoutingKey = 128      // bytes of a routing key (PagerDuty's are 32)
	MaxTeam       = 128      // bytes of a team name
	MaxOrigin     = 255      // bytes of Event.Origin
	MaxLinks      = 5        // Event.Links
	MaxLink       = 2048     // bytes of one link; longer ones are dropped
	MaxBatch      = 100      // native alerts in one request
)

const (
	summaryMarker  = "…"
	detailsMarker  = "\n[truncated]"
	detailLineCap  = 1024 // bytes of one "key: value" line in Details
	echoCap        = 64   // bytes of user input quoted back in an error
	nativeFieldSet = "routing_key, team, action, summary, details, dedup_key, severity, links"
)

// Event is one alert action, normalised from any source.
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
	// DedupKey is at most MaxDedupKey bytes; "" means "make one" (the caller
	// uses the alert id). Never empty for Acknowledge and Resolve.
	DedupKey string
	// Severity is critical, error, warning or info. A Trigger always has one:
	// the default is critical, because an alert somebody routed to a pager
	// should page, and under-paging is the worse mistake. Acknowledge and
	// Resolve carry one only if the payload does ("" otherwise), so they
	// never overwrite the open alert's severity with a default.
	Severity string
	// Source is SourceAPI, SourceAlertmanager or SourcePagerDuty.
	Source string
	// Origin is where the alert came from: PagerDuty payload.source,
	// Alertmanager's instance (else job) label, "" otherwise.
	Origin string
	// Links are http(s) URLs, at most MaxLinks, without duplicates.
	Links []string
}

// BadRequestError is a problem with the request body; the handler answers
// 400 with Msg. Every error the parsers return is one of these.
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return e.Msg }

func badf(format string, args ...any) error {
	return &BadRequestError{Msg: fmt.Sprintf(format, args...)}
}

// prefixed puts where (a batch item, an alert) in front of a parser error.
func prefixed(where string, err error) error {
	var br *BadRequestError
	if errors.As(err, &br) {
		return &BadRequestError{Msg: where + ": " + br.Msg}
	}
	return &BadRequestError{Msg: where + ": " + err.Error()}
}

// ---------------------------------------------------------------------------
// Native JSON

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
func ParseNative(body []byte) ([]Event, error) {
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
		return []Event{ev}, nil
	case '[':
		return parseNativeBatch(body)
	default:
		return nil, badf("body must be a JSON object or an array of objects, not %s", jsonKind(first))
	}
}

func parseNativeBatch(body []byte) ([]Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // '['; syntaxError has passed the body
		return nil, badf("body is not JSON: %v", err)
	}
	var events []Event
	for i := 0; dec.More(); i++ {
		if i == MaxBatch {
			return nil, badf("batch has more than %d alerts; send at most %d per request", MaxBatch, MaxBatch)
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
func parseNativeOne(data []byte, base int64) (Event, error) {
	var a nativeAlert
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		if name, ok := unknownField(err); ok {
			msg := fmt.Sprintf("unknown field %s", quote(name))
			if s := suggest(name, strings.Split(nativeFieldSet, ", ")); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return Event{}, badf("%s; the fields are %s", msg, nativeFieldSet)
		}
		return Event{}, decodeError(err, base)
	}

	ev := Event{Source: SourceAPI}
	switch act := strings.ToLower(strings.TrimSpace(a.Action)); act {
	case "":
		ev.Action = Trigger
	case string(Trigger), string(Acknowledge), string(Resolve):
		ev.Action = Action(act)
	default:
		return Event{}, badf("action %s is not one of trigger, acknowledge, resolve", quote(a.Action))
	}

	var err error
	if ev.RoutingKey, err = checkToken("routing_key", a.RoutingKey, MaxRoutingKey); err != nil {
		return Event{}, err
	}
	ev.Team = strings.TrimSpace(a.Team)
	if len(ev.Team) > MaxTeam || strings.ContainsFunc(ev.Team, unicode.IsControl) {
		return Event{}, badf(`"team" must be a team name of at most %d bytes without control characters`, MaxTeam)
	}
	if ev.RoutingKey == "" && ev.Team == "" {
		return Event{}, badf(`one of "routing_key" or "team" is required, to say whose alert this is`)
	}

	if ev.DedupKey, err = checkDedupKey(a.DedupKey); err != nil {
		return Event{}, err
	}
	if ev.Action != Trigger && ev.DedupKey == "" {
		return Event{}, badf(`"dedup_key" is required for %s: it names the alert to %s`, ev.Action, ev.Action)
	}

	ev.Summary = cleanLine(a.Summary, MaxSummary)
	if ev.Action == Trigger && ev.Summary == "" {
		return Event{}, badf(`"summary" is required for a trigger`)
	}

	if sev := strings.ToLower(strings.TrimSpace(a.Severity)); sev != "" {
		if !validSeverity(sev) {
			return Event{}, badf("severity %s is not one of critical, error, warning, info", quote(a.Severity))
		}
		ev.Severity = sev
	} else if ev.Action == Trigger {
		ev.Severity = SeverityCritical
	}

	ev.Details = cleanText(anyText(a.Details), MaxDetails)

	if len(a.Links) > MaxLinks {
		return Event{}, badf(`"links" has %d URLs; at most %d are allowed`, len(a.Links), MaxLinks)
	}
	for i, l := range a.Links {
		u, ok := cleanLink(l)
		if !ok {
			return Event{}, badf("links[%d] %s is not an http(s) URL of at most %d bytes", i, quote(l), MaxLink)
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

// suggest returns the candidate within two edits of name, for "did you mean".
func suggest(name string, candidates []string) string {
	if len(name) > 40 {
		return ""
	}
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance over bytes (field names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ---------------------------------------------------------------------------
// Prometheus Alertmanager webhook

// amMessage is Alertmanager's webhook body, version 4. Fields pagerd doesn't
// use (groupKey, receiver, groupLabels, commonLabels...) are not decoded;
// unknown fields are ignored because Alertmanager adds them over time.
type amMessage struct {
	Version         string      `json:"version"`
	Status          string      `json:"status"`
	ExternalURL     string      `json:"externalURL"`
	TruncatedAlerts json.Number `json:"truncatedAlerts"`
	Alerts          []amAlert   `json:"alerts"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// objectBody checks that body is within limits and a JSON object; what
// names the object expected, for the error.
func objectBody(body []byte, what string) error {
	first, err := checkBody(body)
	if err != nil {
		return err
	}
	if first != '{' {
		if err := syntaxError(body); err != nil {
			return err
		}
		return badf("body must be a JSON object (%s), not %s", what, jsonKind(first))
	}
	return nil
}

// ParseAlertmanager parses the body of POST /api/v1/integrations/alertmanager,
// Alertmanager's webhook_config payload, version "4". Each alert becomes one
// Event: firing is Trigger, resolved is Resolve. The events carry no
// RoutingKey; the handler takes the key from the request.
//
//   - DedupKey: "am:" + fingerprint. Without a fingerprint, the fingerprint
//     Alertmanager itself would compute (FNV-1a of the sorted labels), so a
//     firing and a resolved notification agree whichever way it was sent.
//   - Summary: annotations.summary, else the first line of
//     annotations.description, else labels.alertname (+ " on " +
//     labels.instance), else "Alertmanager alert <fingerprint>".
//   - Details: sorted label and annotation "key=value" lines, startsAt,
//     endsAt when resolved, and truncatedAlerts when not 0.
//   - Severity from labels.severity: page/critical -> critical, error ->
//     error, warning/warn -> warning, info/none -> info; any other value ->
//     critical.
//   - Origin: labels.instance, else labels.job.
//   - Links: annotations.runbook_url (the Prometheus convention, and the
//     first thing the person paged wants), generatorURL, externalURL.
func ParseAlertmanager(body []byte) ([]Event, error) {
	if err := objectBody(body, "an Alertmanager webhook message"); err != nil {
		return nil, err
	}
	var m amMessage
	if err := json.Unmarshal(body, &m); err != nil { // syntax errors included
		return nil, decodeError(err, 0)
	}
	switch v := strings.TrimSpace(m.Version); v {
	case "4":
	case "":
		return nil, badf(`"version" is missing; pagerd reads Alertmanager webhook version "4"`)
	default:
		return nil, badf(`version %s is not supported; pagerd reads Alertmanager webhook version "4"`, quote(v))
	}
	if len(m.Alerts) == 0 {
		return nil, badf(`"alerts" is empty; an Alertmanager notification carries at least one alert`)
	}
	external, externalOK := cleanLink(m.ExternalURL)
	events := make([]Event, 0, len(m.Alerts))
	for i, a := range m.Alerts {
		ev, err := amEvent(a, m.Status, m.TruncatedAlerts.String())
		if err != nil {
			return nil, prefixed(fmt.Sprintf("alerts[%d]", i), err)
		}
		if externalOK {
			ev.Links = appendLink(ev.Links, external)
		}
		events = append(events, ev)
	}
	return events, nil
}

func amEvent(a amAlert, groupStatus, truncated string) (Event, error) {
	ev := Event{Source: SourceAlertmanager}
	status := strings.ToLower(strings.TrimSpace(a.Status))
	if status == "" { // Alertmanager always sets it; be kind to hand-made bodies
		status = strings.ToLower(strings.TrimSpace(groupStatus))
	}
	switch status {
	case "firing":
		ev.Action = Trigger
	case "resolved":
		ev.Action = Resolve
	default:
		return Event{}, badf("status %s is not one of firing, resolved", quote(status))
	}

	fp := strings.TrimSpace(a.Fingerprint)
	if fp == "" {
		if len(a.Labels) == 0 {
			return Event{}, badf(`has neither "fingerprint" nor "labels", so it cannot be told apart from other alerts`)
		}
		fp = labelsFingerprint(a.Labels)
	}
	ev.DedupKey = "am:" + fp
	if len(ev.DedupKey) > MaxDedupKey {
		sum := sha256.Sum256([]byte(fp))
		ev.DedupKey = "am:sha256:" + hex.EncodeToString(sum[:])
	}

	ev.Summary = cleanLine(a.Annotations["summary"], MaxSummary)
	if ev.Summary == "" {
		ev.Summary = cleanLine(firstLine(a.Annotations["description"]), MaxSummary)
	}
	if ev.Summary == "" {
		if name := cleanLine(a.Labels["alertname"], MaxSummary); name != "" {
			if inst := cleanLine(a.Labels["instance"], MaxSummary); inst != "" {
				name += " on " + inst
			}
			ev.Summary = cleanLine(name, MaxSummary)
		}
	}
	if ev.Summary == "" {
		ev.Summary = cleanLine("Alertmanager alert "+fp, MaxSummary)
	}

	if sev, ok := a.Labels["severity"]; ok && strings.TrimSpace(sev) != "" {
		ev.Severity = amSeverity(sev)
	} else if ev.Action == Trigger {
		ev.Severity = SeverityCritical
	}

	ev.Origin = cleanLine(a.Labels["instance"], MaxOrigin)
	if ev.Origin == "" {
		ev.Origin = cleanLine(a.Labels["job"], MaxOrigin)
	}

	var b strings.Builder
	writeKV(&b, "labels", a.Labels)
	writeKV(&b, "annotations", a.Annotations)
	if s := cleanLine(a.StartsAt, detailLineCap); s != "" {
		fmt.Fprintf(&b, "startsAt: %s\n", s)
	}
	// Alertmanager sends the zero time as endsAt for firing alerts.
	if s := cleanLine(a.EndsAt, detailLineCap); s != "" && ev.Action == Resolve && !strings.HasPrefix(s, "0001-01-01") {
		fmt.Fprintf(&b, "endsAt: %s\n", s)
	}
	// With max_alerts set, Alertmanager leaves alerts out and counts them.
	if truncated != "" && truncated != "0" {
		fmt.Fprintf(&b, "truncatedAlerts: %s (Alertmanager left that many alerts of this group out of the notification)\n", cleanLine(truncated, 32))
	}
	ev.Details = cleanText(b.String(), MaxDetails)

	for _, l := range []string{a.Annotations["runbook_url"], a.GeneratorURL} {
		if u, ok := cleanLink(l); ok {
			ev.Links = appendLink(ev.Links, u)
		}
	}
	return ev, nil
}

// writeKV writes a titled block of sorted key=value lines; continuation
// lines of multi-line values are indented so they read as one entry.
func writeKV(b *strings.Builder, title string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(b, "%s:\n", title)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := strings.ReplaceAll(strings.TrimSpace(normNewlines(m[k])), "\n", "\n    ")
		fmt.Fprintf(b, "  %s=%s\n", k, v)
	}
}

// amSeverity maps the common severity label values onto pagerd's four.
// Anything unrecognised pages as critical rather than being quietly demoted.
func amSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return SeverityError
	case "warning", "warn":
		return SeverityWarning
	case "info", "none":
		return SeverityInfo
	default: // page, critical, and anything else
		return SeverityCritical
	}
}

// labelsFingerprint is Prometheus' fingerprint of a label set
// (model.LabelSet.Fingerprint): 64-bit FNV-1a over the sorted names and
// values, each followed by the byte 255, printed as 16 hex digits. It is what
// Alertmanager puts in "fingerprint".
func labelsFingerprint(labels map[string]string) string {
	h := fnv.New64a()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte(k))
		h.Write([]byte{255})
		h.Write([]byte(labels[k]))
		h.Write([]byte{255})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

func firstLine(s string) string {
	for line := range strings.Lines(normNewlines(s)) {
		if strings.TrimSpace(line) != "" {
			return line
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// PagerDuty Events API v2

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
func ParsePagerDuty(body []byte) ([]Event, error) {
	if err := objectBody(body, "a PagerDuty Events API v2 event"); err != nil {
		return nil, err
	}
	var p pdEvent
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, decodeError(err, 0)
	}

	ev := Event{Source: SourcePagerDuty}
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
	case string(Trigger), string(Acknowledge), string(Resolve):
		ev.Action = Action(act)
	case "":
		return nil, badf(`"event_action" is missing; it is one of trigger, acknowledge, resolve`)
	default:
		return nil, badf("event_action %s is not one of trigger, acknowledge, resolve", quote(p.EventAction))
	}

	if ev.DedupKey, err = checkDedupKey(p.DedupKey); err != nil {
		return nil, err
	}
	if ev.Action != Trigger && ev.DedupKey == "" {
		return nil, badf(`"dedup_key" is missing or blank; it is required for event_action %s`, ev.Action)
	}

	pl := p.Payload
	if pl == nil {
		if ev.Action == Trigger {
			return nil, badf(`"payload" is missing; a trigger needs payload.summary, payload.source and payload.severity`)
		}
		pl = &pdPayload{}
	}
	ev.Summary = cleanLine(pl.Summary, MaxSummary)
	ev.Origin = cleanLine(pl.Source, MaxOrigin)
	sev := strings.ToLower(strings.TrimSpace(pl.Severity))
	if ev.Action == Trigger {
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
		if v := cleanLine(kv[1], detailLineCap); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], v)
		}
	}
	if cd := anyText(pl.CustomDetails); strings.TrimSpace(cd) != "" {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(cd)
	}
	ev.Details = cleanText(b.String(), MaxDetails)

	for _, l := range p.Links {
		if u, ok := cleanLink(l.Href); ok {
			ev.Links = appendLink(ev.Links, u)
		}
	}
	if u, ok := cleanLink(p.ClientURL); ok {
		ev.Links = appendLink(ev.Links, u)
	}
	return []Event{ev}, nil
}

// ---------------------------------------------------------------------------
// Shared checks and clean-up

// checkBody checks the size and that there is something to parse, and
// returns the first byte of the value.
func checkBody(body []byte) (byte, error) {
	if len(body) > MaxBody {
		return 0, badf("body is %d bytes; the limit is %d", len(body), MaxBody)
	}
	first := firstByte(body)
	if first == 0 {
		return 0, badf("body is empty; send a JSON object")
	}
	return first, nil
}

// syntaxError returns the body's JSON syntax error, or nil. It asks
// json.Unmarshal because, unlike json.Decoder, its SyntaxError offsets count
// from the start of the body.
func syntaxError(body []byte) error {
	if json.Valid(body) {
		return nil
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return decodeError(err, 0)
	}
	return nil
}

// decodeError turns an encoding/json error into a BadRequestError naming the
// field and the byte offset (base is where the decoded value starts in the
// body).
func decodeError(err error, base int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badf("body is not JSON: %s at byte %d", se.Error(), base+se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return badf("%q must be %s, not %s (at byte %d)", field, goKind(te), article(te.Value), base+te.Offset)
	default:
		return badf("body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// goKind names the JSON kind a Go type wants.
func goKind(te *json.UnmarshalTypeError) string {
	if te.Type == nil {
		return "a different type"
	}
	if te.Type == reflect.TypeFor[json.Number]() {
		return "a number"
	}
	switch te.Type.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a different type"
}

func article(jsonValue string) string {
	switch {
	case jsonValue == "":
		return "that"
	case strings.HasPrefix(jsonValue, "array"), strings.HasPrefix(jsonValue, "object"):
		return "an " + jsonValue
	default:
		return "a " + jsonValue
	}
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	default:
		return "a number"
	}
}

// quote echoes user input in an error message, shortened so a hostile
// payload can't make the error huge.
func quote(s string) string {
	if len(s) > echoCap {
		return strconv.Quote(truncate(s, echoCap, summaryMarker))
	}
	return strconv.Quote(s)
}

// checkToken validates a key-like value: trimmed, no spaces or control
// characters, at most max bytes. "" is returned as "" without error.
func checkToken(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > max {
		return "", badf("%q is %d bytes; at most %d are allowed", field, len(s), max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "", badf("%q must not contain spaces or control characters", field)
	}
	return s, nil
}

// checkDedupKey keeps the key as sent (it is the sender's identifier and a
// later resolve must match it byte for byte) but refuses an over-long one:
// cutting it would merge different alerts.
func checkDedupKey(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	if len(s) > MaxDedupKey {
		return "", badf(`"dedup_key" is %d bytes; at most %d are allowed`, len(s), MaxDedupKey)
	}
	return s, nil
}

func validSeverity(s string) bool {
	switch s {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
		return true
	}
	return false
}

// anyText renders a free-form JSON value: a string as itself, an object or
// array indented, null as nothing, anything else as its JSON text.
func anyText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch firstByte(raw) {
	case 0, 'n':
		return ""
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{', '[':
		var b bytes.Buffer
		if json.Indent(&b, raw, "", "  ") == nil {
			return b.String()
		}
	}
	return string(raw)
}

// dropRune reports runes that never belong in stored text: control
// characters (C0, DEL, C1) and the bidi embedding, override and isolate
// characters, which can make an SMS display differently from what it says.
func dropRune(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0xFEFF
}

// cleanLine makes s one line: every run of whitespace (newlines and tabs
// included) becomes one space, dropped runes go, the ends are trimmed, and
// the result is cut to max bytes.
func cleanLine(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max+utf8.UTFMax))
	space := false
	for _, r := range s { // invalid UTF-8 comes out as U+FFFD
		switch {
		case unicode.IsSpace(r):
			space = true
		case dropRune(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
		if b.Len() > max+utf8.UTFMax { // enough to know it will be cut
			break
		}
	}
	return truncate(b.String(), max, summaryMarker)
}

// cleanText keeps newlines and tabs, normalises line ends to "\n", drops the
// other dropped runes, trims, and cuts to max bytes.
func cleanText(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max+utf8.UTFMax))
	for _, r := range normNewlines(s) {
		if r == '\n' || r == '\t' || !dropRune(r) {
			b.WriteRune(r)
		}
		if b.Len() > max+utf8.UTFMax {
			break
		}
	}
	return truncate(strings.TrimSpace(b.String()), max, detailsMarker)
}

func normNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// truncate cuts s to at most max bytes on a UTF-8 boundary, ending in marker.
func truncate(s string, max int, marker string) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(marker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + marker
}

// cleanLink returns s trimmed if it is an absolute http(s) URL with a host,
// without spaces, of at most MaxLink bytes.
func cleanLink(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxLink || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || dropRune(r) }) {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", false
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return "", false
	}
	return s, true
}

// appendLink adds u unless it is already there or the list is full.
func appendLink(links []string, u string) []string {
	if len(links) >= MaxLinks || slices.Contains(links, u) {
		return links
	}
	return append(links, u)
}
