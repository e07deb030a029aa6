package mail

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	cases := []struct {
		file string
		want Message
	}{
		{"nagios_problem.eml", Message{
			MessageID: "20261123031245.4F2A1C0123@monitor.example.com",
			From:      "nagios@monitor.example.com",
			To:        []string{"oncall@pagerd.example.com"},
			Subject:   "** PROBLEM Service Alert: web-1/HTTP is CRITICAL **",
			Body: `***** Nagios *****

Notification Type: PROBLEM

Service: HTTP
Host: web-1
Address: 10.0.0.11
State: CRITICAL

Date/Time: Mon Nov 23 03:12:45 UTC 2026

Additional Info:

CRITICAL - Socket timeout after 10 seconds`,
		}},
		{"nagios_recovery.eml", Message{
			MessageID: "20261123033102.5B7E1C0456@monitor.example.com",
			From:      "nagios@monitor.example.com",
			To:        []string{"oncall@pagerd.example.com"},
			Subject:   "** RECOVERY Service Alert: web-1/HTTP is OK **",
			Body: `***** Nagios *****

Notification Type: RECOVERY

Service: HTTP
Host: web-1
Address: 10.0.0.11
State: OK

Date/Time: Mon Nov 23 03:31:02 UTC 2026

Additional Info:

HTTP OK: HTTP/1.1 200 OK - 5120 bytes in 0.042 second response time`,
		}},
		{"zabbix_problem.eml", Message{
			MessageID: "20261123.031408.12345@zabbix.monitor.example.com",
			From:      "zabbix@monitor.example.com",
			To:        []string{"oncall@pagerd.example.com"},
			Subject:   "Problem: High CPU utilization on db-2",
			Body: `Problem started at 03:14:07 on 2026.11.23
Problem name: High CPU utilization on db-2
Host: db-2
Severity: High
Operational data: 97.3 %
Original problem ID: 12345`,
		}},
		{"html_iso88591.eml", Message{
			MessageID: "em-20261123-0402-12@enviromon.example.fr",
			From:      "alertes@enviromon.example.fr",
			To:        []string{"astreinte@example.fr"},
			Subject:   "Température élevée : salle-B/rack-12",
			Body: `Température élevée
La sonde salle-B/rack-12 signale une température de 41 °C (seuil : 35 °C).
Capteur Valeur
Entrée d'air 41 °C
Humidité 23 %
Détails & historique : tableau de bord
Message automatique <ne pas répondre>`,
		}},
		{"base64_body.eml", Message{
			MessageID: "b64.7731@ops.example.net",
			From:      "backup-monitor@ops.example.net",
			To:        []string{"oncall@pagerd.example.com", "storage-team@example.net", "lead@example.net"},
			Subject:   "[WARNING] Disk space low on backup-3",
			Body:      "Disk /var on backup-3 is 96% full (threshold 90%).\nFree: 3.8 GiB of 100 GiB — last check 03:40 UTC.",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Parse(readFixture(t, tc.file), 64<<10)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%s):\n got %#v\nwant %#v", tc.file, got, tc.want)
				if got.Body != tc.want.Body {
					t.Errorf("body:\n%s", got.Body)
				}
			}
		})
	}
}

// Line ends must not matter: the same mail with CRLF parses the same.
func TestParseCRLF(t *testing.T) {
	raw := readFixture(t, "nagios_problem.eml")
	lf, err := Parse(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	crlf, err := Parse([]byte(strings.ReplaceAll(string(raw), "\n", "\r\n")), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lf, crlf) {
		t.Errorf("CRLF differs:\n%#v\n%#v", crlf, lf)
	}
}

// A huge mail still parses (its alert is raised), with the body cut at the
// limit, on a character boundary, and Truncated set.
func TestParseHuge(t *testing.T) {
	const limit = 1000
	line := "Host: db-2 — disk é full\n" // multi-byte runes so the cut can land mid-character
	raw := "From: Zabbix <zabbix@monitor.example.com>\n" +
		"To: oncall@pagerd.example.com\n" +
		"Subject: Problem: Log flood on db-2\n" +
		"Message-ID: <huge.1@zabbix>\n" +
		"Content-Type: text/plain; charset=utf-8\n\n" +
		strings.Repeat(line, 50000) // about 1.4 MB
	got, err := Parse([]byte(raw), limit)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageID != "huge.1@zabbix" || got.From != "zabbix@monitor.example.com" ||
		!reflect.DeepEqual(got.To, []string{"oncall@pagerd.example.com"}) ||
		got.Subject != "Problem: Log flood on db-2" || !got.Truncated {
		t.Errorf("huge mail header fields: %#v", got)
	}
	if len(got.Body) > limit || len(got.Body) < limit-3 || !utf8.ValidString(got.Body) {
		t.Errorf("body len %d valid %v, want <= %d and valid UTF-8", len(got.Body), utf8.ValidString(got.Body), limit)
	}
	if !strings.HasPrefix(strings.Repeat(line, 50), got.Body) {
		t.Errorf("body is not the start of the mail's text: %q", got.Body[:80])
	}

	// Just under the limit: not truncated.
	small := strings.Replace(raw, strings.Repeat(line, 50000), strings.Repeat("x", limit), 1)
	got, err = Parse([]byte(small), limit)
	if err != nil || got.Truncated || len(got.Body) != limit {
		t.Errorf("at the limit: truncated=%v len=%d err=%v", got.Truncated, len(got.Body), err)
	}
}

func TestParseLenient(t *testing.T) {
	cases := []struct {
		name, raw string
		want      Message
	}{
		{"unknown charset keeps text",
			"From: a@b.example\nSubject: x\nContent-Type: text/plain; charset=x-klingon\n\nhello\n",
			Message{From: "a@b.example", Subject: "x", Body: "hello"}},
		{"unknown transfer encoding keeps raw text",
			"From: a@b.example\nSubject: x\nContent-Transfer-Encoding: x-uuencode\n\nhello\n",
			Message{From: "a@b.example", Subject: "x", Body: "hello"}},
		{"bad base64 keeps what decoded",
			"From: a@b.example\nSubject: x\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29y!!!\n",
			Message{From: "a@b.example", Subject: "x", Body: "hello wor"}},
		{"malformed From salvaged",
			"From: Nagios Monitor <nagios@[monitor>\nTo: ops team@x, Ops <OPS@Example.com>\nSubject: a\n  b\n\nbody",
			Message{From: "nagios@[monitor", To: []string{"ops@example.com"}, Subject: "a b", Body: "body"}},
		{"broken multipart keeps header",
			"From: a@b.example\nSubject: x\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\npart one\n",
			Message{From: "a@b.example", Subject: "x", Body: "part one"}},
		{"plain preferred over html, attachment skipped",
			"From: a@b.example\nSubject: x\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\nContent-Disposition: attachment; filename=log.txt\n\nATTACHED\n--zz\nContent-Type: multipart/alternative; boundary=yy\n\n--yy\nContent-Type: text/plain\n\nplain text\n--yy\nContent-Type: text/html\n\n<p>html</p>\n--yy--\n--zz--\n",
			Message{From: "a@b.example", Subject: "x", Body: "plain text"}},
		{"encoded subject with newline stays one line",
			"From: a@b.example\nSubject: =?utf-8?Q?one=0Atwo?=\n\n",
			Message{From: "a@b.example", Subject: "one two"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.raw), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, raw := range []string{"", "\n\nno header", "this is not: a\n mail\nbut no colon here\n\n"} {
		if m, err := Parse([]byte(raw), 0); err == nil {
			t.Errorf("Parse(%q) = %#v, want an error", raw, m)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a < b &amp;&amp; c > d", "a < b && c > d"},
		{"<p>one</p><p>two<br/>three</p>", "one\ntwo\nthree"},
		{"<STYLE>p{}</STYLE><Script>x()</SCRIPT>text", "text"},
		{"x<!-- unclosed", "x"},
		{"x<b unclosed", "x"},
		{"<script>never closed", ""},
		{"  lots   of\n\n  space &nbsp; here ", "lots of space here"},
	}
	for _, tc := range cases {
		if got := htmlToText(tc.in); got != tc.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
