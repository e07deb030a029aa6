package ingest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pagerd/pagerd/alerts"
)

// checkInvariants is what every caller of the parsers may rely on.
func checkInvariants(t *testing.T, evs []alerts.Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("success with no events")
	}
	for i, ev := range evs {
		switch ev.Action {
		case alerts.Trigger:
			if ev.Summary == "" {
				t.Errorf("event %d: trigger without a summary", i)
			}
			if !validSeverity(ev.Severity) {
				t.Errorf("event %d: trigger with severity %q", i, ev.Severity)
			}
		case alerts.Acknowledge, alerts.Resolve:
			if ev.DedupKey == "" {
				t.Errorf("event %d: %s without a dedup key", i, ev.Action)
			}
			if ev.Severity != "" && !validSeverity(ev.Severity) {
				t.Errorf("event %d: severity %q", i, ev.Severity)
			}
		default:
			t.Errorf("event %d: action %q", i, ev.Action)
		}
		if len(ev.Summary) > alerts.MaxSummary || !utf8.ValidString(ev.Summary) || strings.ContainsFunc(ev.Summary, unicode.IsControl) {
			t.Errorf("event %d: summary %q", i, ev.Summary)
		}
		if ev.Summary != strings.TrimSpace(ev.Summary) {
			t.Errorf("event %d: summary not trimmed: %q", i, ev.Summary)
		}
		if len(ev.Details) > alerts.MaxDetails || !utf8.ValidString(ev.Details) ||
			strings.ContainsFunc(ev.Details, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
			t.Errorf("event %d: details of %d bytes: %.200q", i, len(ev.Details), ev.Details)
		}
		if len(ev.DedupKey) > alerts.MaxDedupKey {
			t.Errorf("event %d: dedup key of %d bytes", i, len(ev.DedupKey))
		}
		if len(ev.RoutingKey) > MaxRoutingKey || len(ev.Team) > alerts.MaxTeam || len(ev.Origin) > alerts.MaxOrigin {
			t.Errorf("event %d: routing key %q, team %q, origin %q", i, ev.RoutingKey, ev.Team, ev.Origin)
		}
		if ev.Source != alerts.SourceAPI && ev.Source != alerts.SourceAlertmanager && ev.Source != alerts.SourcePagerDuty {
			t.Errorf("event %d: source %q", i, ev.Source)
		}
		if ev.Source == alerts.SourceAPI && ev.RoutingKey == "" && ev.Team == "" {
			t.Errorf("event %d: native event with neither routing key nor team", i)
		}
		if ev.Source == alerts.SourcePagerDuty && ev.RoutingKey == "" {
			t.Errorf("event %d: PagerDuty event without a routing key", i)
		}
		if len(ev.Links) > alerts.MaxLinks {
			t.Errorf("event %d: %d links", i, len(ev.Links))
		}
		for _, l := range ev.Links {
			if _, ok := cleanLink(l); !ok {
				t.Errorf("event %d: link %q", i, l)
			}
		}
	}
}

func fuzzParser(f *testing.F, parse parser, seeds ...string) {
	for _, s := range seeds {
		if strings.HasSuffix(s, ".json") {
			f.Add(readFixture(f, s))
		} else {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := parse(body)
		if err != nil {
			var br *BadRequestError
			if !errors.As(err, &br) || br.Msg == "" {
				t.Fatalf("error %T %v is not a *BadRequestError with a message", err, err)
			}
			if evs != nil {
				t.Fatalf("events and an error")
			}
			return
		}
		checkInvariants(t, evs)
		// Pure: the same body gives the same events (map order must not leak).
		again, err := parse(body)
		if err != nil || !reflect.DeepEqual(evs, again) {
			t.Fatalf("second parse differs: %v\n%+v\n%+v", err, evs, again)
		}
	})
}

func FuzzParseNative(f *testing.F) {
	fuzzParser(f, ParseNative,
		"native_trigger.json", "native_batch.json",
		`{"team":"t","summary":"s"}`,
		`{"routing_key":"k","action":"resolve","dedup_key":"d","details":[1,{"a":null}],"links":["https://x/"]}`,
		`[{"team":"t","summary":"\u0000\u202e\t"},{"team":"t","action":"acknowledge","dedup_key":" "}]`,
		`{"team":"t","sumary":"s"}`, `[]`, `null`, `{`, "")
}

func FuzzParseAlertmanager(f *testing.F) {
	fuzzParser(f, ParseAlertmanager,
		"alertmanager_firing.json", "alertmanager_resolved.json",
		`{"version":"4","alerts":[{"labels":{"alertname":"A"}}],"status":"resolved"}`,
		`{"version":"4","alerts":[{"status":"firing","fingerprint":"f","annotations":{"description":"\n\nx\ny"},"generatorURL":"http://h/"}]}`,
		`{"version":"3","alerts":[]}`, `{"version":"4","alerts":[{"labels":{"a":1}}]}`, `[]`)
}

func FuzzParsePagerDuty(f *testing.F) {
	fuzzParser(f, ParsePagerDuty,
		"pagerduty_trigger.json", "pagerduty_acknowledge.json", "pagerduty_resolve.json",
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":[null]}}`,
		`{"routing_key":"k","event_action":"resolve","dedup_key":"d","links":[{"href":"http://h/"}],"client_url":"https://c/"}`,
		`{"service_key":"k"}`, `{"routing_key":"k","event_action":"trigger","payload":"x"}`, `"x"`)
}
