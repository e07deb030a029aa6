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
