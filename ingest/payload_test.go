package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pagerd/pagerd/alerts"
)

type parser func([]byte) ([]alerts.Event, error)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sameEvents reports every differing field, not just "not equal".
func sameEvents(t *testing.T, got, want []alerts.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := reflect.ValueOf(got[i]), reflect.ValueOf(want[i])
		for f := 0; f < g.NumField(); f++ {
			if g.Type().Field(f).Name == "Labels" {
				continue // the raw labels: TestAlertmanagerKeepsLabels
			}
			if !reflect.DeepEqual(g.Field(f).Interface(), w.Field(f).Interface()) {
				t.Errorf("event %d: %s\n got: %#v\nwant: %#v", i, g.Type().Field(f).Name, g.Field(f).Interface(), w.Field(f).Interface())
			}
		}
	}
}

const (
	amGenURL1 = "http://prometheus.example.com:9090/graph?g0.expr=sum+by+%28instance%29+%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29+%3E+0.05&g0.tab=1"
	amGenURL2 = "http://prometheus.example.com:9090/graph?g0.expr=node_filesystem_avail_bytes%7Bfstype%21%3D%22tmpfs%22%7D+%2F+node_filesystem_size_bytes+%3C+0.05&g0.tab=1"
	amRunbook = "https://runbooks.example.com/payments/high-error-rate"
	amExtURL  = "http://alertmanager.example.com:9093"
	amLabels1 = `labels:
  alertname=HighErrorRate
  instance=api-1.payments.internal:9090
  job=payments-api
  service=payments
  severity=page
  team=payments
annotations:
  description=The 5xx ratio on api-1 has been 7.3% for 10 minutes.
    Runbook: https://runbooks.example.com/payments/high-error-rate
  runbook_url=https://runbooks.example.com/payments/high-error-rate
  summary=Payments API 5xx rate above 5%
startsAt: 2026-11-24T03:12:45.123Z`
	pdKey   = "R015NLPBR2J4ZQW9SKHMV1XEYXK6K3C7"
	pdDedup = "db-2/disk/var-lib-postgresql"
	apiKey  = "3f1c9d0e7a2b4c5d8e9f0a1b2c3d4e5f"
)

func TestFixtures(t *testing.T) {
	tests := []struct {
		file  string
		parse parser
		want  []alerts.Event
	}{
		{"alertmanager_firing.json", ParseAlertmanager, []alerts.Event{
			{
				Action:   alerts.Trigger,
				Summary:  "Payments API 5xx rate above 5%",
				Details:  amLabels1,
				DedupKey: "am:a02a2256531cfe90",
				Severity: alerts.SeverityCritical, // severity=page
				Source:   alerts.SourceAlertmanager,
				Origin:   "api-1.payments.internal:9090",
				Links:    []string{amRunbook, amGenURL1, amExtURL},
			},
			{
				Action:  alerts.Trigger,
				Summary: "Only 4.2% space left on /var/lib/postgresql.", // first line of description
				Details: `labels:
  alertname=DiskSpaceLow
  device=/dev/nvme0n1p1
  fstype=ext4
  instance=db-2.payments.internal:9100
  job=node
  mountpoint=/var/lib/postgresql
  severity=warning
  team=payments
annotations:
  description=Only 4.2% space left on /var/lib/postgresql.
    At the current rate it fills in about 6 hours.
startsAt: 2026-11-24T03:05:15.871Z`,
				DedupKey: "am:96e298574ef3af06",
				Severity: alerts.SeverityWarning,
				Source:   alerts.SourceAlertmanager,
				Origin:   "db-2.payments.internal:9100",
				Links:    []string{amGenURL2, amExtURL},
			},
		}},
		{"alertmanager_resolved.json", ParseAlertmanager, []alerts.Event{{
			Action:   alerts.Resolve,
			Summary:  "Payments API 5xx rate above 5%",
			Details:  amLabels1 + "\nendsAt: 2026-11-24T03:41:15.123Z",
			DedupKey: "am:a02a2256531cfe90", // the same key as when it fired
			Severity: alerts.SeverityCritical,
			Source:   alerts.SourceAlertmanager,
			Origin:   "api-1.payments.internal:9090",
			Links:    []string{amRunbook, amGenURL1, amExtURL},
		}}},
		{"pagerduty_trigger.json", ParsePagerDuty, []alerts.Event{{
			Action:     alerts.Trigger,
			RoutingKey: pdKey,
			Summary:    "DISK CRITICAL - free space: /var/lib/postgresql 2% on db-2.payments.internal",
			Details: `component: postgres
group: prod-datapipe
class: disk
client: Sample Monitoring Service
timestamp: 2026-11-24T03:05:15.871+00:00

{
  "free space": "2%",
  "mount": "/var/lib/postgresql",
  "ping time": "1500ms",
  "load avg": 0.75
}`,
			DedupKey: pdDedup,
			Severity: alerts.SeverityCritical,
			Source:   alerts.SourcePagerDuty,
			Origin:   "db-2.payments.internal",
			Links: []string{
				"https://grafana.example.com/d/node/disk?var-instance=db-2",
				"https://runbooks.example.com/storage/disk-full",
				"https://monitoring.example.com/hosts/db-2",
			},
		}}},
		{"pagerduty_acknowledge.json", ParsePagerDuty, []alerts.Event{{
			Action: alerts.Acknowledge, RoutingKey: pdKey, DedupKey: pdDedup, Source: alerts.SourcePagerDuty,
		}}},
		{"pagerduty_resolve.json", ParsePagerDuty, []alerts.Event{{
			Action: alerts.Resolve, RoutingKey: pdKey, DedupKey: pdDedup, Source: alerts.SourcePagerDuty,
		}}},
		{"native_trigger.json", ParseNative, []alerts.Event{{
			Action:     alerts.Trigger,
			RoutingKey: apiKey,
			Summary:    "Card payments failing: 31% of authorisations declined",
			Details: `{
  "error_rate": 0.31,
  "region": "eu-west-2",
  "since": "2026-11-24T03:10:00Z"
}`,
			DedupKey: "payments-card-auth-errors",
			Severity: alerts.SeverityCritical,
			Source:   alerts.SourceAPI,
			Links:    []string{"https://grafana.example.com/d/payments/card-auth"},
		}}},
		{"native_batch.json", ParseNative, []alerts.Event{
			{
				Action:   alerts.Trigger,
				Team:     "payments",
				Summary:  "Settlement file not received from the acquirer by 02:00",
				Details:  "Expected settlement_20261124.csv in s3://payments-settlement/inbound/.\nLast file arrived 2026-11-23T01:47:12Z.",
				DedupKey: "settlement-missing-20261124",
				Severity: alerts.SeverityError,
				Source:   alerts.SourceAPI,
			},
			{Action: alerts.Acknowledge, Team: "payments", DedupKey: "payments-card-auth-errors", Source: alerts.SourceAPI},
			{
				Action: alerts.Resolve, RoutingKey: apiKey, DedupKey: "payments-card-auth-errors", Source: alerts.SourceAPI,
				Summary: "Card authorisations back to normal",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := tt.parse(readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			sameEvents(t, got, tt.want)
			checkInvariants(t, got)
		})
	}
}

// TestPrometheusFingerprint checks labelsFingerprint against Prometheus'
// own test vectors and against the fingerprints in the fixtures, which is
// what keeps a fingerprint-less alert's key equal to Alertmanager's.
func TestPrometheusFingerprint(t *testing.T) {
	if got, want := labelsFingerprint(map[string]string{"name": "garland, briggs", "fear": "love is not enough"}), fmt.Sprintf("%016x", uint64(5799056148416392346)); got != want {
		t.Errorf("fingerprint = %s, want %s (prometheus/common model/signature_test.go)", got, want)
	}
	if got, want := labelsFingerprint(map[string]string{"first-label": "first-label-value", "second-label": "second-label-value"}), fmt.Sprintf("%016x", uint64(3195800080984914717)); got != want {
		t.Errorf("fingerprint = %s, want %s", got, want)
	}
	body := string(readFixture(t, "alertmanager_firing.json"))
	stripped := strings.NewReplacer(`"fingerprint": "a02a2256531cfe90"`, `"fingerprint": ""`, `"fingerprint": "96e298574ef3af06"`, `"fingerprint": ""`).Replace(body)
	if stripped == body {
		t.Fatal("fixture fingerprints not found")
	}
	withFP, err := ParseAlertmanager([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	without, err := ParseAlertmanager([]byte(stripped))
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, without, withFP)
}

// badRequest runs a parser that must fail and returns the message.
func badRequest(t *testing.T, parse parser, body string) string {
	t.Helper()
	evs, err := parse([]byte(body))
	if err == nil {
		t.Fatalf("no error for %.200q; got %+v", body, evs)
	}
	var br *BadRequestError
	if !errors.As(err, &br) {
		t.Fatalf("error %v is a %T, not a *BadRequestError", err, err)
	}
	if evs != nil {
		t.Errorf("events and an error: %+v", evs)
	}
	return br.Msg
}

type badCase struct {
	name, body, want string // want: a substring of the message
}

func runBad(t *testing.T, parse parser, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := badRequest(t, parse, tc.body)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q\ndoes not contain %q", msg, tc.want)
			}
		})
	}
}

func TestNativeBad(t *testing.T) {
	runBad(t, ParseNative, []badCase{
		{"empty", "", "body is empty"},
		{"blank", " \n ", "body is empty"},
		{"not JSON", "summary=disk full", "body is not JSON: invalid character 's' looking for beginning of value at byte 1"},
		{"truncated", `{"team": "payments"`, "body is not JSON: unexpected end of JSON input at byte 19"},
		{"trailing data", `{"team":"t","summary":"s"} {}`, "after top-level value at byte 28"},
		{"string body", `"disk full"`, "body must be a JSON object or an array of objects, not a string"},
		{"null body", `null`, "not null"},
		{"summary a number", `{"team":"t","summary":42}`, `"summary" must be a string, not a number (at byte 24)`},
		{"team an object", `{"team":{"name":"t"},"summary":"s"}`, `"team" must be a string, not an object`},
		{"links not strings", `{"team":"t","summary":"s","links":[1]}`, `"links" must be a string, not a number`},
		{"unknown field", `{"team":"t","sumary":"disk full"}`, `unknown field "sumary" (did you mean "summary"?); the fields are routing_key, team,`},
		{"unknown field far off", `{"team":"t","summary":"s","priority":"P1"}`, `unknown field "priority"; the fields are`},
		{"unknown action", `{"team":"t","action":"trgger","summary":"s"}`, `action "trgger" is not one of trigger, acknowledge, resolve`},
		{"unknown severity", `{"team":"t","summary":"s","severity":"sev1"}`, `severity "sev1" is not one of critical, error, warning, info`},
		{"no summary", `{"team":"t"}`, `"summary" is required for a trigger`},
		{"blank summary", `{"team":"t","summary":" \t\u0007\n"}`, `"summary" is required for a trigger`},
		{"no dedup on ack", `{"team":"t","action":"acknowledge"}`, `"dedup_key" is required for acknowledge`},
		{"blank dedup on resolve", `{"team":"t","action":"resolve","dedup_key":"  "}`, `"dedup_key" is required for resolve`},
		{"no team or key", `{"summary":"s"}`, `one of "routing_key" or "team" is required`},
		{"routing key with space", `{"routing_key":"ab cd","summary":"s"}`, `"routing_key" must not contain spaces`},
		{"routing key too long", `{"routing_key":"` + strings.Repeat("k", 129) + `","summary":"s"}`, `"routing_key" is 129 bytes; at most 128`},
		{"dedup key too long", `{"team":"t","summary":"s","dedup_key":"` + strings.Repeat("d", 256) + `"}`, `"dedup_key" is 256 bytes; at most 255`},
		{"bad link", `{"team":"t","summary":"s","links":["javascript:alert(1)"]}`, `links[0] "javascript:alert(1)" is not an http(s) URL`},
		{"too many links", `{"team":"t","summary":"s","links":["http://a","http://b","http://c","http://d","http://e","http://f"]}`, `"links" has 6 URLs; at most 5`},
		{"empty batch", `[]`, "batch is empty"},
		{"batch of strings", `["disk full"]`, "batch[0] must be a JSON object, not a string"},
		{"bad batch item", `[{"team":"t","summary":"ok"}, {"team":"t"}]`, `batch[1]: "summary" is required for a trigger`},
		{"batch type error offset", `[{"team":"t","summary":"ok"}, {"team":"t","summary":7}]`, `batch[1]: "summary" must be a string, not a number (at byte 53)`},
		{"batch unknown field", `[{"team":"t","summary":"ok","sevrity":"info"}]`, `batch[0]: unknown field "sevrity" (did you mean "severity"?)`},
		{"body too large", `{"team":"t","summary":"` + strings.Repeat("x", MaxBody) + `"}`, "body is 1048601 bytes; the limit is 1048576"},
		{"long value echoed short", `{"team":"t","action":"` + strings.Repeat("a", 5000) + `"}`, `…" is not one of`},
	})
}

// More alerts in one request than the format takes is a *TooManyError
// (413) naming the cap, for every format that carries several.
func TestTooManyAlertsInOneRequest(t *testing.T) {
	var native strings.Builder
	native.WriteString("[")
	for i := range MaxBatch + 1 {
		if i > 0 {
			native.WriteString(",")
		}
		fmt.Fprintf(&native, `{"team":"t","summary":"s%d"}`, i)
	}
	native.WriteString("]")
	var am strings.Builder
	am.WriteString(`{"version":"4","status":"firing","alerts":[`)
	for i := range 10000 {
		if i > 0 {
			am.WriteString(",")
		}
		fmt.Fprintf(&am, `{"status":"firing","labels":{"alertname":"a%d"}}`, i)
	}
	am.WriteString("]}")
	for _, tc := range []struct {
		name  string
		parse parser
		body  string
		max   int
		want  string
	}{
		{"native", ParseNative, native.String(), MaxBatch, "batch has more than 100 alerts; send at most 100 per request"},
		{"alertmanager", ParseAlertmanager, am.String(), MaxAlertmanagerBatch, "the notification carries 10000 alerts; pagerd takes at most 1000 per request"},
	} {
		evs, err := tc.parse([]byte(tc.body))
		var tm *TooManyError
		if !errors.As(err, &tm) || tm.Max != tc.max || !strings.Contains(tm.Msg, tc.want) || evs != nil {
			t.Errorf("%s: %T %v (%d events); want a *TooManyError saying %q", tc.name, err, err, len(evs), tc.want)
		}
	}
}

func TestNativeBatchOf100(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range MaxBatch {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"team":"t","summary":"s%d"}`, i)
	}
	b.WriteString("]")
	evs, err := ParseNative([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != MaxBatch || evs[99].Summary != "s99" {
		t.Fatalf("got %d events, last %+v", len(evs), evs[len(evs)-1])
	}
}

func TestNativeDetailsKinds(t *testing.T) {
	for _, tc := range []struct{ details, want string }{
		{`"line 1\r\nline 2\u0000\u001b[31m"`, "line 1\nline 2[31m"},
		{`[1, {"a": "b"}]`, "[\n  1,\n  {\n    \"a\": \"b\"\n  }\n]"},
		{`null`, ""},
		{`42.5`, "42.5"},
		{`true`, "true"},
	} {
		evs, err := ParseNative([]byte(`{"team":"t","summary":"s","details":` + tc.details + `}`))
		if err != nil {
			t.Fatal(err)
		}
		if evs[0].Details != tc.want {
			t.Errorf("details %s -> %q, want %q", tc.details, evs[0].Details, tc.want)
		}
	}
}

func TestAlertmanagerBad(t *testing.T) {
	firing := string(readFixture(t, "alertmanager_firing.json"))
	runBad(t, ParseAlertmanager, []badCase{
		{"not JSON", `<html>`, "body is not JSON: invalid character '<' looking for beginning of value at byte 1"},
		{"truncated", firing[:300], "body is not JSON: unexpected end of JSON input at byte 300"},
		{"array", `[]`, "body must be a JSON object (an Alertmanager webhook message), not an array"},
		{"version 3", strings.Replace(firing, `"version": "4"`, `"version": "3"`, 1), `version "3" is not supported; pagerd reads Alertmanager webhook version "4"`},
		{"version missing", strings.Replace(firing, `"version": "4",`, ``, 1), `"version" is missing`},
		{"version a number", strings.Replace(firing, `"version": "4"`, `"version": 4`, 1), `"version" must be a string, not a number`},
		{"labels not strings", `{"version":"4","alerts":[{"status":"firing","labels":{"severity":1}}]}`, `"alerts.labels" must be a string, not a number (at byte 66)`},
		{"alerts an object", `{"version":"4","alerts":{}}`, `"alerts" must be an array, not an object`},
		{"no alerts", `{"version":"4","status":"firing","alerts":[]}`, `"alerts" is empty`},
		{"alerts missing", `{"version":"4","status":"firing"}`, `"alerts" is empty`},
		{"bad status", `{"version":"4","alerts":[{"status":"firing","fingerprint":"1"},{"status":"pending","fingerprint":"2"}]}`, `alerts[1]: status "pending" is not one of firing, resolved`},
		{"no status", `{"version":"4","alerts":[{"fingerprint":"1"}]}`, `alerts[0]: status "" is not one of firing, resolved`},
		{"truncatedAlerts not a number", `{"version":"4","truncatedAlerts":true,"alerts":[{"status":"firing","fingerprint":"1"}]}`, `"truncatedAlerts" must be a number, not a bool`},
		{"no identity", `{"version":"4","alerts":[{"status":"firing","annotations":{"summary":"s"}}]}`, `alerts[0]: has neither "fingerprint" nor "labels"`},
	})
}

func TestAlertmanagerDerived(t *testing.T) {
	long := strings.Repeat("f", 300)
	tests := []struct {
		name, alert string
		want        alerts.Event
	}{
		{
			name:  "alertname on instance, unknown severity, job as origin",
			alert: `{"status":"firing","labels":{"alertname":"TargetDown","instance":"10.0.0.7:9100","job":"node","severity":"P1"},"fingerprint":"0123456789abcdef"}`,
			want: alerts.Event{Action: alerts.Trigger, Summary: "TargetDown on 10.0.0.7:9100", DedupKey: "am:0123456789abcdef", Severity: alerts.SeverityCritical,
				Source: alerts.SourceAlertmanager, Origin: "10.0.0.7:9100",
				Details: "labels:\n  alertname=TargetDown\n  instance=10.0.0.7:9100\n  job=node\n  severity=P1"},
		},
		{
			name:  "no severity label, job origin, group status, fingerprint from labels",
			alert: `{"labels":{"alertname":"Watchdog","job":"prometheus"}}`,
			want: alerts.Event{Action: alerts.Trigger, Summary: "Watchdog", DedupKey: "am:" + labelsFingerprint(map[string]string{"alertname": "Watchdog", "job": "prometheus"}),
				Severity: alerts.SeverityCritical, Source: alerts.SourceAlertmanager, Origin: "prometheus",
				Details: "labels:\n  alertname=Watchdog\n  job=prometheus"},
		},
		{
			name:  "nothing to say but a fingerprint; info",
			alert: `{"status":"firing","labels":{"severity":"none"},"fingerprint":"c0ffee0000000001","generatorURL":"ftp://x/"}`,
			want: alerts.Event{Action: alerts.Trigger, Summary: "Alertmanager alert c0ffee0000000001", DedupKey: "am:c0ffee0000000001", Severity: alerts.SeverityInfo,
				Source: alerts.SourceAlertmanager, Details: "labels:\n  severity=none"},
		},
		{
			name:  "resolved without severity keeps it empty; warn",
			alert: `{"status":"resolved","labels":{"alertname":"A","severity":""},"annotations":{"description":"\n\n  second para\nmore"},"fingerprint":"1"}`,
			want: alerts.Event{Action: alerts.Resolve, Summary: "second para", DedupKey: "am:1", Source: alerts.SourceAlertmanager,
				Details: "labels:\n  alertname=A\n  severity=\nannotations:\n  description=second para\n    more"},
		},
		{
			name:  "group status, truncated alerts",
			alert: `{"labels":{"alertname":"B"},"fingerprint":"2"}],"truncatedAlerts":3,"x":[`,
			want: alerts.Event{Action: alerts.Trigger, Summary: "B", DedupKey: "am:2", Severity: alerts.SeverityCritical, Source: alerts.SourceAlertmanager,
				Details: "labels:\n  alertname=B\ntruncatedAlerts: 3 (Alertmanager left that many alerts of this group out of the notification)"},
		},
		{
			name:  "over-long fingerprint is hashed",
			alert: `{"status":"firing","labels":{"alertname":"A","severity":"warn"},"fingerprint":"` + long + `"}`,
			want: alerts.Event{Action: alerts.Trigger, Summary: "A", DedupKey: "am:sha256:9e9f4cdde6a7b4dfc4b7f50fb4f2d3ecd30ae38c3dd4aa7aac6b8b6ba8af8f1c", Severity: alerts.SeverityWarning,
				Source: alerts.SourceAlertmanager, Details: "labels:\n  alertname=A\n  severity=warn"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ParseAlertmanager([]byte(`{"version":"4","status":"firing","externalURL":"not a url","alerts":[` + tt.alert + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tt.want.DedupKey, "am:sha256:") {
				// The expected hash is computed, not hand-written.
				tt.want.DedupKey = evs[0].DedupKey
				if len(evs[0].DedupKey) != len("am:sha256:")+64 {
					t.Errorf("DedupKey %q", evs[0].DedupKey)
				}
			}
			sameEvents(t, evs, []alerts.Event{tt.want})
			checkInvariants(t, evs)
		})
	}
}

func TestPagerDutyBad(t *testing.T) {
	trigger := string(readFixture(t, "pagerduty_trigger.json"))
	runBad(t, ParsePagerDuty, []badCase{
		{"not JSON", `routing_key=abc`, "body is not JSON: invalid character 'r' looking for beginning of value at byte 1"},
		{"truncated", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s"`, "unexpected end of JSON input at byte 68"},
		{"array", `[{}]`, "not an array"},
		{"payload a string", `{"routing_key":"k","event_action":"trigger","payload":"disk full"}`, `"payload" must be an object, not a string (at byte 65)`},
		{"summary a number", `{"routing_key":"k","event_action":"trigger","payload":{"summary":1}}`, `"payload.summary" must be a string, not a number`},
		{"links an object", `{"routing_key":"k","event_action":"resolve","dedup_key":"d","links":{"href":"x"}}`, `"links" must be an array, not an object`},
		{"no routing key", strings.Replace(trigger, pdKey, "", 1), `"routing_key" is missing or blank`},
		{"events v1", `{"service_key":"abc","event_type":"trigger","description":"x"}`, `this looks like Events API v1 (service_key)`},
		{"routing key too long", `{"routing_key":"` + strings.Repeat("k", 200) + `","event_action":"resolve","dedup_key":"d"}`, `"routing_key" is 200 bytes; at most 128`},
		{"unknown action", strings.Replace(trigger, `"event_action": "trigger"`, `"event_action": "trgger"`, 1), `event_action "trgger" is not one of trigger, acknowledge, resolve`},
		{"no action", `{"routing_key":"k","dedup_key":"d"}`, `"event_action" is missing`},
		{"no payload", `{"routing_key":"k","event_action":"trigger"}`, `"payload" is missing; a trigger needs payload.summary, payload.source and payload.severity`},
		{"no summary", strings.Replace(trigger, `"summary": "DISK`, `"summry": "DISK`, 1), `"payload.summary" is missing or blank`},
		{"no source", strings.Replace(trigger, `"source": "db-2`, `"src": "db-2`, 1), `"payload.source" is missing or blank`},
		{"no severity", strings.Replace(trigger, `"severity": "critical"`, `"severity": ""`, 1), `"payload.severity" is missing or blank`},
		{"bad severity", strings.Replace(trigger, `"severity": "critical"`, `"severity": "high"`, 1), `payload.severity "high" is not one of critical, error, warning, info`},
		{"ack without dedup", `{"routing_key":"k","event_action":"acknowledge"}`, `"dedup_key" is missing or blank; it is required for event_action acknowledge`},
		{"dedup key too long", `{"routing_key":"k","event_action":"resolve","dedup_key":"` + strings.Repeat("d", 256) + `"}`, `"dedup_key" is 256 bytes`},
	})
}

func TestPagerDutyLenient(t *testing.T) {
	// Unknown fields, bad links and a payload on resolve are all fine, as
	// with PagerDuty; links are capped at alerts.MaxLinks.
	body := `{"routing_key":"k","event_action":"RESOLVE","dedup_key":"d","new_field":1,
		"payload":{"summary":"fixed","severity":"bogus","custom_details":"freed 40GB"},
		"links":[{"href":"not a url"},{"href":"https://a/1"},{"href":"https://a/1"},{"href":"https://a/2"},{"href":"https://a/3"},{"href":"https://a/4"},{"href":"https://a/5"},{"href":"https://a/6"}]}`
	evs, err := ParsePagerDuty([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, evs, []alerts.Event{{
		Action: alerts.Resolve, RoutingKey: "k", DedupKey: "d", Summary: "fixed", Details: "freed 40GB", Source: alerts.SourcePagerDuty,
		Links: []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4", "https://a/5"},
	}})
}

// TestCutAndClean: over-long text is cut, not refused, and control
// characters never reach a Summary, in every format.
func TestCutAndClean(t *testing.T) {
	long := strings.Repeat("é", alerts.MaxSummary) // 2 bytes each: the cut must not split one
	dirty := "disk\u0000 full\u001b[0m on\tdb-2\r\n\u202eexploit\u0085 now\u200d!"
	const clean = "disk full[0m on db-2 exploit now\u200d!"
	bigDetails := strings.Repeat("0123456789\n", alerts.MaxDetails/5)

	tests := []struct {
		name  string
		parse parser
		body  func(summary, details string) string
	}{
		{"native", ParseNative, func(s, d string) string {
			return fmt.Sprintf(`{"team":"t","summary":%q,"details":%q}`, s, d)
		}},
		{"pagerduty", ParsePagerDuty, func(s, d string) string {
			return fmt.Sprintf(`{"routing_key":"k","event_action":"trigger","payload":{"summary":%q,"source":"h","severity":"info","custom_details":%q}}`, s, d)
		}},
		{"alertmanager", ParseAlertmanager, func(s, d string) string {
			return fmt.Sprintf(`{"version":"4","alerts":[{"status":"firing","fingerprint":"f","annotations":{"summary":%q,"x":%q}}]}`, s, d)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.parse([]byte(jsonEscapes(tt.body(long, bigDetails))))
			if err != nil {
				t.Fatal(err)
			}
			s := evs[0].Summary
			if len(s) > alerts.MaxSummary || !utf8.ValidString(s) || !strings.HasSuffix(s, "…") || !strings.HasPrefix(s, "éé") {
				t.Errorf("summary of %d bytes, valid %v, ends %q", len(s), utf8.ValidString(s), s[max(0, len(s)-8):])
			}
			if d := evs[0].Details; len(d) > alerts.MaxDetails || !strings.HasSuffix(d, "\n[truncated]") {
				t.Errorf("details of %d bytes ending %q", len(d), d[max(0, len(d)-20):])
			}
			checkInvariants(t, evs)

			evs, err = tt.parse([]byte(jsonEscapes(tt.body(dirty, "a\u0000b\r\nc\u0007"))))
			if err != nil {
				t.Fatal(err)
			}
			if evs[0].Summary != clean {
				t.Errorf("summary %q, want %q", evs[0].Summary, clean)
			}
			if !strings.Contains(evs[0].Details, "ab\n") || strings.ContainsAny(evs[0].Details, "\u0000\u0007\r") {
				t.Errorf("details %q", evs[0].Details)
			}
		})
	}
}

// jsonEscapes turns Go's %q escapes that JSON lacks (\x, \a, \v, \U) into
// \u escapes, so the bodies above are JSON.
func jsonEscapes(s string) string {
	return strings.NewReplacer(`\x00`, `\u0000`, `\x1b`, `\u001b`, `\a`, `\u0007`, `\v`, `\u000b`).Replace(s)
}

func TestErrorsAreBadRequests(t *testing.T) {
	for name, p := range map[string]parser{"native": ParseNative, "alertmanager": ParseAlertmanager, "pagerduty": ParsePagerDuty} {
		_, err := p([]byte(`{`))
		var br *BadRequestError
		if !errors.As(err, &br) || br.Error() != br.Msg || br.Msg == "" {
			t.Errorf("%s: %T %v", name, err, err)
		}
	}
}

// The labels ride along, so a team whose urgency rule names another label
// (priority, say) gets its severity from it.
func TestAlertmanagerKeepsLabels(t *testing.T) {
	evs, err := ParseAlertmanager([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A","priority":"warning"},"fingerprint":"1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Labels["priority"] != "warning" || evs[0].Severity != alerts.SeverityCritical {
		t.Errorf("labels %v severity %q", evs[0].Labels, evs[0].Severity)
	}
}
