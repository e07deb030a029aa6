package mail

import (
	"strings"
	"testing"
)

func TestAuthenticated(t *testing.T) {
	const mx = "mx.example.net"
	good := mx + `; dkim=pass header.i=@monitor.example.com header.s=s1 header.b=abc;
       spf=pass (mx.example.net: domain of bounce@monitor.example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=bounce@monitor.example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=monitor.example.com`
	for _, tc := range []struct {
		name    string
		from    string
		headers []string
		methods []string
		ok      bool
		why     string
	}{
		{"all pass", "nagios@monitor.example.com", []string{good}, []string{"dkim", "spf", "dmarc"}, true, ""},
		{"authserv-id in any case", "nagios@monitor.example.com", []string{strings.Replace(good, mx, "MX.Example.NET", 1)}, []string{"dmarc"}, true, ""},
		{"dkim signed by the parent domain", "nagios@monitor.example.com", []string{mx + "; dkim=pass header.d=example.com"}, []string{"dkim"}, true, ""},
		{"no header", "nagios@monitor.example.com", nil, []string{"dkim"}, false, "no Authentication-Results header from mx.example.net"},
		{"another server's header", "nagios@monitor.example.com", []string{strings.Replace(good, mx, "mx.attacker.example", 1)}, []string{"dkim"}, false, "no Authentication-Results header"},
		{"dkim failed", "nagios@monitor.example.com", []string{mx + "; dkim=fail header.d=monitor.example.com"}, []string{"dkim"}, false, "dkim did not pass for monitor.example.com"},
		{"dkim of another domain", "nagios@monitor.example.com", []string{mx + "; dkim=pass header.d=attacker.example"}, []string{"dkim"}, false, "dkim did not pass"},
		{"spf of another domain", "nagios@monitor.example.com", []string{mx + "; spf=pass smtp.mailfrom=x@attacker.example"}, []string{"spf"}, false, "spf did not pass"},
		{"dmarc of another domain", "nagios@monitor.example.com", []string{mx + "; dmarc=pass header.from=attacker.example"}, []string{"dmarc"}, false, "dmarc did not pass"},
		{"dmarc of the parent domain", "nagios@monitor.example.com", []string{mx + "; dmarc=pass header.from=example.com"}, []string{"dmarc"}, false, "dmarc did not pass"},
		{"one method of two", "nagios@monitor.example.com", []string{mx + "; dkim=pass header.d=monitor.example.com; spf=softfail smtp.mailfrom=monitor.example.com"}, []string{"dkim", "spf"}, false, "spf did not pass"},
		// What a sender writes in its own header is below the receiving
		// server's, which is the one read.
		{"a forged header below the server's", "nagios@monitor.example.com", []string{mx + "; dkim=none", mx + "; dkim=pass header.d=monitor.example.com"}, []string{"dkim"}, false, "dkim did not pass"},
		// A comment is free text, partly the sender's: never results.
		{"results in a comment", "nagios@monitor.example.com", []string{mx + "; spf=none (see dmarc=pass header.from=monitor.example.com)"}, []string{"dmarc"}, false, "dmarc did not pass"},
		{"no From", "", []string{good}, []string{"dkim"}, false, "no From address"},
	} {
		ok, why := Authenticated(Message{From: tc.from, AuthResults: tc.headers}, tc.methods, mx)
		if ok != tc.ok || !strings.Contains(why, tc.why) {
			t.Errorf("%s: %v %q, want %v %q", tc.name, ok, why, tc.ok, tc.why)
		}
	}
}

// Parse keeps every Authentication-Results header, the topmost (the
// receiving server's) first.
func TestParseAuthenticationResults(t *testing.T) {
	raw := "Authentication-Results: mx.example.net; dkim=pass\r\n\theader.d=monitor.example.com\r\n" +
		"Authentication-Results: mx.example.net; dkim=fail\r\n" +
		"From: nagios@monitor.example.com\r\nSubject: x\r\n\r\nbody\r\n"
	m, err := Parse([]byte(raw), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.AuthResults) != 2 || !strings.Contains(m.AuthResults[0], "dkim=pass") {
		t.Fatalf("AuthResults %q", m.AuthResults)
	}
	if ok, why := Authenticated(m, []string{"dkim"}, "mx.example.net"); !ok {
		t.Errorf("the topmost header passes: %s", why)
	}
}

func TestStripComments(t *testing.T) {
	for in, want := range map[string]string{
		`a (b) c`:                  `a   c`,
		`a (b (nested) c) d`:       `a   d`,
		`a "q (not a comment)" b`:  `a "q (not a comment)" b`,
		`a (esc \) still) b`:       `a   b`,
		"a\r\n\tb":                 "a  b",
		`dkim=pass (x header.d=y)`: `dkim=pass  `,
	} {
		if got := stripComments(in); got != want {
			t.Errorf("stripComments(%q) = %q, want %q", in, got, want)
		}
	}
}

// A route that requires authentication refuses a mail without it, and
// routing stops there: a later catch-all route doesn't take it.
func TestRouteRequiresAuth(t *testing.T) {
	r := testRota(t)
	r.Teams[0].Routes[0].RequireAuth = []string{"dmarc"}
	r.Teams[0].Routes[0].AuthServID = "mx.example.net"
	m := parseFixture(t, "nagios_recovery.eml")
	match, ok := Route(r, m)
	if !ok || match.Team != "infra" || match.Route != "nagios" || !strings.Contains(match.Refused, "no Authentication-Results header from mx.example.net") {
		t.Fatalf("forged: %+v %v", match, ok)
	}
	m.AuthResults = []string{"mx.example.net; dmarc=pass header.from=monitor.example.com"}
	if match, ok := Route(r, m); !ok || match.Refused != "" || !match.Resolve {
		t.Errorf("authenticated: %+v %v", match, ok)
	}
}
