package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// /readyz?verbose lists every subsystem; only a required one failing makes
// the node unready.
func TestReadyzVerbose(t *testing.T) {
	checks := []Check{
		{Name: "etcd", OK: true, State: "ok", Required: true},
		{Name: "leader", OK: true, State: "ok", Reason: "node-a", Required: true},
		{Name: "mailbox INBOX", State: "failing", Reason: `login as "pagerd" refused`},
	}
	s := &Server{Ready: func(context.Context) []Check { return checks }}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		s.readyz(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		return rec.Code, string(body)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("a failing mailbox: %d %q; want 200 ready", code, body)
	}
	code, body := get("/readyz?verbose")
	want := "[+] etcd: ok\n[+] leader: ok: node-a\n[-] mailbox INBOX: failing: login as \"pagerd\" refused (does not make this node unready)\nready\n"
	if code != 200 || body != want {
		t.Errorf("verbose: %d\n%s\nwant\n%s", code, body, want)
	}
	checks[0] = Check{Name: "etcd", State: "unreachable", Reason: "context deadline exceeded", Required: true}
	code, body = get("/readyz")
	if code != 503 || !strings.Contains(body, "not ready: etcd: context deadline exceeded") {
		t.Errorf("etcd down: %d %q", code, body)
	}
}
