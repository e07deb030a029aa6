package mail

import (
	"regexp"
	"testing"

	"github.com/pagerd/pagerd/rotafile"

	_ "time/tzdata"
)

const testPeople = `people:
  - {id: alice, name: Alice, timezone: Europe/London, contacts: {sms: "+447700900001"}}
  - {id: bob, name: Bob, timezone: Europe/London, contacts: {sms: "+447700900002"}}
`

// infra sorts before platform, so it gets the first look at every mail.
const testInfra = `team: infra
timezone: Europe/London
rotations:
  primary:
    members: [alice, bob]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-11-02T09:00
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
routes:
  - name: nagios
    email:
      from: '^nagios@monitor\.example\.com$'
      subject: '^\*\* PROBLEM Service Alert: (?P<key>[^ ]+) is (?P<summary>.+) \*\*$'
    resolve: {subject: '^\*\* RECOVERY Service Alert: (?P<key>[^ ]+) is'}
  - http: {key_env: INFRA_KEY}
  - email:
      subject: '^Problem: (?P<summary>.+)$'
      body: '(?m)^Original problem ID: (?P<key>\d+)$'
`

const testPlatform = `team: platform
timezone: Europe/London
rotations:
  primary:
    members: [bob, alice]
    handoff: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0"
    start: 2026-11-02T09:00
escalation:
  steps:
    - {notify: [primary], ack_timeout: 5m}
routes:
  - name: monitor-catch-all
    email: {from: '@monitor\.example\.com$'}
  - name: storage
    email: {to: '^storage-team@example\.net$', subject: 'backup-(?P<key>\d+)'}
  - name: enviromon
    email: {from: '^alertes@enviromon\.', body: '(?m)^La sonde (?P<key>\S+)'}
`

func testRota(t testing.TB) *rotafile.Rota {
	t.Helper()
	r, diags := rotafile.Load([]rotafile.File{
		{Name: "people.yaml", Data: []byte(testPeople)},
		{Name: "infra.yaml", Data: []byte(testInfra)},
		{Name: "platform.yaml", Data: []byte(testPlatform)},
	})
	if err := diags.Err(); err != nil || r == nil {
		t.Fatalf("test rota: %v", diags)
	}
	return r
}

func parseFixture(t *testing.T, name string) Message {
	t.Helper()
	m, err := Parse(readFixture(t, name), 0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRouteFixtures(t *testing.T) {
	r := testRota(t)
	cases := []struct {
		file string
		want Match
	}{
		{"nagios_problem.eml", Match{Team: "infra", Route: "nagios", Key: "web-1/HTTP", Summary: "CRITICAL"}},
		{"nagios_recovery.eml", Match{Team: "infra", Route: "nagios", Resolve: true, Key: "web-1/HTTP",
			Summary: "** RECOVERY Service Alert: web-1/HTTP is OK **"}},
		// Also matches platform's catch-all: the first team wins.
		{"zabbix_problem.eml", Match{Team: "infra", Route: "email route 3", Key: "12345", Summary: "High CPU utilization on db-2"}},
		// storage-team is the second recipient: any recipient may match To.
		{"base64_body.eml", Match{Team: "platform", Route: "storage", Key: "3", Summary: "[WARNING] Disk space low on backup-3"}},
		{"html_iso88591.eml", Match{Team: "platform", Route: "enviromon", Key: "salle-B/rack-12",
			Summary: "Température élevée : salle-B/rack-12"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, ok := Route(r, parseFixture(t, tc.file))
			if !ok || got != tc.want {
				t.Errorf("Route = %#v, %v; want %#v", got, ok, tc.want)
			}
		})
	}
}

func TestRouteFromTo(t *testing.T) {
	r := testRota(t)
	problem := parseFixture(t, "nagios_problem.eml")

	// The same PROBLEM from another sender fails infra's From pattern and
	// falls through to platform's catch-all on the sender's domain.
	other := problem
	other.From = "icinga@monitor.example.com"
	got, ok := Route(r, other)
	want := Match{Team: "platform", Route: "monitor-catch-all", Key: problem.Subject, Summary: problem.Subject}
	if !ok || got != want {
		t.Errorf("other sender: %#v, %v; want %#v", got, ok, want)
	}

	// Nothing matches a stranger's mail: it is left alone.
	stranger := problem
	stranger.From = "newsletter@shop.example"
	if got, ok := Route(r, stranger); ok {
		t.Errorf("stranger's mail matched %#v", got)
	}

	// To must match one of the recipients, not none.
	backup := parseFixture(t, "base64_body.eml")
	backup.To = []string{"oncall@pagerd.example.com"}
	if got, ok := Route(r, backup); ok {
		t.Errorf("backup mail without storage-team matched %#v", got)
	}

	if _, ok := Route(nil, problem); ok {
		t.Error("nil rota matched")
	}
}

// Within a route, resolve is tried first: a broad trigger pattern that also
// matches the RECOVERY mail must not raise an alert.
func TestRouteResolveBeforeTrigger(t *testing.T) {
	r := &rotafile.Rota{Teams: []*rotafile.Team{{ID: "web", Routes: []rotafile.Route{{
		Email:   &rotafile.EmailMatch{Subject: regexp.MustCompile(`Service Alert: (?P<key>\S+)`)},
		Resolve: &rotafile.EmailMatch{Subject: regexp.MustCompile(`^\*\* RECOVERY Service Alert: (?P<key>\S+)`)},
	}}}}}
	got, ok := Route(r, parseFixture(t, "nagios_recovery.eml"))
	want := Match{Team: "web", Route: "email route 1", Resolve: true, Key: "web-1/HTTP", Summary: "** RECOVERY Service Alert: web-1/HTTP is OK **"}
	if !ok || got != want {
		t.Errorf("recovery: %#v, %v; want %#v", got, ok, want)
	}
	got, ok = Route(r, parseFixture(t, "nagios_problem.eml"))
	if !ok || got.Resolve || got.Key != "web-1/HTTP" {
		t.Errorf("problem: %#v, %v", got, ok)
	}
}

// The key is taken from the subject before the body, and a key group that
// matched nothing does not give an empty key.
func TestRouteKeyOrder(t *testing.T) {
	m := Message{From: "a@b.example", To: []string{"x@y.example"}, Subject: "Alert host-9", Body: "id=77"}
	r := &rotafile.Rota{Teams: []*rotafile.Team{{ID: "t", Routes: []rotafile.Route{{Name: "r", Email: &rotafile.EmailMatch{
		From:    regexp.MustCompile(`^(?P<key>[^@]+)@`),
		To:      regexp.MustCompile(`^(?P<summary>[^@]+)@`),
		Subject: regexp.MustCompile(`Alert (?P<key>\S*)(?P<summary>Z?)`),
		Body:    regexp.MustCompile(`id=(?P<key>\d+)`),
	}}}}}}
	got, ok := Route(r, m)
	want := Match{Team: "t", Route: "r", Key: "host-9", Summary: "x"}
	if !ok || got != want {
		t.Errorf("got %#v, %v; want %#v", got, ok, want)
	}
	m.Subject = "Alert "
	if got, _ := Route(r, m); got.Key != "77" {
		t.Errorf("empty subject key: got key %q, want the body's 77", got.Key)
	}
}

// An email route may set the severity of its alerts (for the team's
// urgency rule); a resolve carries none.
func TestRouteSeverity(t *testing.T) {
	r := &rotafile.Rota{Teams: []*rotafile.Team{{ID: "web", Routes: []rotafile.Route{{
		Severity: "warning",
		Email:    &rotafile.EmailMatch{Subject: regexp.MustCompile(`PROBLEM Service Alert: (?P<key>\S+)`)},
		Resolve:  &rotafile.EmailMatch{Subject: regexp.MustCompile(`^\*\* RECOVERY Service Alert: (?P<key>\S+)`)},
	}}}}}
	if got, ok := Route(r, parseFixture(t, "nagios_problem.eml")); !ok || got.Severity != "warning" {
		t.Errorf("problem: %#v, %v", got, ok)
	}
	if got, ok := Route(r, parseFixture(t, "nagios_recovery.eml")); !ok || got.Severity != "" {
		t.Errorf("recovery: %#v, %v", got, ok)
	}
}
