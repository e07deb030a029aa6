package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRouteTest(t *testing.T) {
	for _, c := range []struct {
		mail string
		code int
		want []string
	}{
		{"nagios_problem.eml", 0, []string{"team:     payments", "route:    nagios", "action:   trigger", "key:      web-1/HTTP", "summary:  web-1/HTTP is CRITICAL"}},
		{"nagios_recovery.eml", 0, []string{"action:   resolve the open alert with this key", "key:      web-1/HTTP"}},
		{"zabbix_problem.eml", 1, []string{"no route matches"}},
		// Finding 2: Nagios's stock service names hold spaces.
		{"nagios_service_spaces.eml", 0, []string{"route:    nagios", "action:   trigger", "key:      localhost/Current Load", "summary:  localhost/Current Load is WARNING"}},
		{"nagios_service_spaces_recovery.eml", 0, []string{"action:   resolve", "key:      localhost/Current Load"}},
	} {
		var out, errb bytes.Buffer
		code := run([]string{"route-test", "../../configs/example", "../../ingest/mail/testdata/" + c.mail}, &out, &errb, timeNow)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", c.mail, code, c.code, out.String(), errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", c.mail, w, out.String())
			}
		}
	}
	if code := run([]string{"route-test", "../../configs/example"}, &bytes.Buffer{}, &bytes.Buffer{}, timeNow); code != 2 {
		t.Errorf("route-test without a mail: exit %d", code)
	}
}

// TestStockMonitorRoutes runs each stock monitor's saved mail against the
// routes in configs/monitors (the ones docs/email.md shows): each problem
// raises an alert with a key its recovery resolves.
func TestStockMonitorRoutes(t *testing.T) {
	for _, c := range []struct{ problem, recovery, route, key, summary string }{
		{"nagios_service_spaces.eml", "nagios_service_spaces_recovery.eml", "nagios", "localhost/Current Load", "localhost/Current Load is WARNING"},
		{"nagios_problem.eml", "nagios_recovery.eml", "nagios", "web-1/HTTP", "web-1/HTTP is CRITICAL"},
		{"icinga2_problem.eml", "icinga2_recovery.eml", "icinga2", "Disk Space /var on db-1", "Disk Space /var on db-1 is CRITICAL"},
		{"zabbix_problem.eml", "zabbix_resolved.eml", "zabbix", "12345", "High CPU utilization on db-2"},
		{"uptime_down.eml", "uptime_up.eml", "uptime", "Checkout page", "Monitor is DOWN: Checkout page"},
	} {
		for i, mail := range []string{c.problem, c.recovery} {
			var out, errb bytes.Buffer
			code := run([]string{"route-test", "../../configs/monitors", "../../ingest/mail/testdata/" + mail}, &out, &errb, timeNow)
			want := []string{"team:     ops", "route:    " + c.route, "key:      " + c.key}
			if i == 0 {
				want = append(want, "action:   trigger", "summary:  "+c.summary)
			} else {
				want = append(want, "action:   resolve the open alert with this key (one this route raised)")
			}
			if code != 0 {
				t.Errorf("%s: exit %d\n%s%s", mail, code, out.String(), errb.String())
			}
			for _, w := range want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s: output lacks %q:\n%s", mail, w, out.String())
				}
			}
		}
	}
}
