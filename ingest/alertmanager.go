package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"

	"github.com/pagerd/pagerd/alerts"
)

// The Prometheus Alertmanager webhook.

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
// Event: firing is alerts.Trigger, resolved is alerts.Resolve. The events carry no
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
//   - Severity from labels.severity (alerts.SeverityFromLabel):
//     page/critical -> critical, error -> error, warning/warn -> warning,
//     info/none -> info; any other value -> critical. A team that names
//     another label in its urgency rule gets its severity from that label
//     (the alerts service reads Labels).
//   - Origin: labels.instance, else labels.job.
//   - Links: annotations.runbook_url (the Prometheus convention, and the
//     first thing the person paged wants), generatorURL, externalURL.
func ParseAlertmanager(body []byte) ([]alerts.Event, error) {
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
	if len(m.Alerts) > MaxAlertmanagerBatch {
		return nil, &TooManyError{Max: MaxAlertmanagerBatch, Msg: fmt.Sprintf(
			"the notification carries %d alerts; pagerd takes at most %d per request: set max_alerts: %d in Alertmanager's webhook_config",
			len(m.Alerts), MaxAlertmanagerBatch, MaxAlertmanagerBatch)}
	}
	external, externalOK := cleanLink(m.ExternalURL)
	events := make([]alerts.Event, 0, len(m.Alerts))
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

func amEvent(a amAlert, groupStatus, truncated string) (alerts.Event, error) {
	ev := alerts.Event{Source: alerts.SourceAlertmanager}
	status := strings.ToLower(strings.TrimSpace(a.Status))
	if status == "" { // Alertmanager always sets it; be kind to hand-made bodies
		status = strings.ToLower(strings.TrimSpace(groupStatus))
	}
	switch status {
	case "firing":
		ev.Action = alerts.Trigger
	case "resolved":
		ev.Action = alerts.Resolve
	default:
		return alerts.Event{}, badf("status %s is not one of firing, resolved", quote(status))
	}

	fp := strings.TrimSpace(a.Fingerprint)
	if fp == "" {
		if len(a.Labels) == 0 {
			return alerts.Event{}, badf(`has neither "fingerprint" nor "labels", so it cannot be told apart from other alerts`)
		}
		fp = labelsFingerprint(a.Labels)
	}
	ev.DedupKey = "am:" + fp
	if len(ev.DedupKey) > alerts.MaxDedupKey {
		sum := sha256.Sum256([]byte(fp))
		ev.DedupKey = "am:sha256:" + hex.EncodeToString(sum[:])
	}

	ev.Summary = alerts.CleanLine(a.Annotations["summary"], alerts.MaxSummary)
	if ev.Summary == "" {
		ev.Summary = alerts.CleanLine(firstLine(a.Annotations["description"]), alerts.MaxSummary)
	}
	if ev.Summary == "" {
		if name := alerts.CleanLine(a.Labels["alertname"], alerts.MaxSummary); name != "" {
			if inst := alerts.CleanLine(a.Labels["instance"], alerts.MaxSummary); inst != "" {
				name += " on " + inst
			}
			ev.Summary = alerts.CleanLine(name, alerts.MaxSummary)
		}
	}
	if ev.Summary == "" {
		ev.Summary = alerts.CleanLine("Alertmanager alert "+fp, alerts.MaxSummary)
	}

	if sev, ok := a.Labels["severity"]; ok && strings.TrimSpace(sev) != "" {
		ev.Severity = alerts.SeverityFromLabel(sev)
	} else if ev.Action == alerts.Trigger {
		ev.Severity = alerts.SeverityCritical
	}
	ev.Labels = a.Labels

	ev.Origin = alerts.CleanLine(a.Labels["instance"], alerts.MaxOrigin)
	if ev.Origin == "" {
		ev.Origin = alerts.CleanLine(a.Labels["job"], alerts.MaxOrigin)
	}

	var b strings.Builder
	writeKV(&b, "labels", a.Labels)
	writeKV(&b, "annotations", a.Annotations)
	if s := alerts.CleanLine(a.StartsAt, detailLineCap); s != "" {
		fmt.Fprintf(&b, "startsAt: %s\n", s)
	}
	// Alertmanager sends the zero time as endsAt for firing alerts.
	if s := alerts.CleanLine(a.EndsAt, detailLineCap); s != "" && ev.Action == alerts.Resolve && !strings.HasPrefix(s, "0001-01-01") {
		fmt.Fprintf(&b, "endsAt: %s\n", s)
	}
	// With max_alerts set, Alertmanager leaves alerts out and counts them.
	if truncated != "" && truncated != "0" {
		fmt.Fprintf(&b, "truncatedAlerts: %s (Alertmanager left that many alerts of this group out of the notification)\n", alerts.CleanLine(truncated, 32))
	}
	ev.Details = alerts.CleanText(b.String(), alerts.MaxDetails)

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
		v := strings.ReplaceAll(strings.TrimSpace(alerts.NormNewlines(m[k])), "\n", "\n    ")
		fmt.Fprintf(b, "  %s=%s\n", k, v)
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
	for line := range strings.Lines(alerts.NormNewlines(s)) {
		if strings.TrimSpace(line) != "" {
			return line
		}
	}
	return ""
}
