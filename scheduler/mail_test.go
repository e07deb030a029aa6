package scheduler_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/ingest/mail"
	"github.com/pagerd/pagerd/store"
)

func parseFixture(t *testing.T, name string) mail.Message {
	t.Helper()
	raw, err := os.ReadFile("../ingest/mail/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.Parse(raw, mail.DefaultMaxBody)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMailRaisesPagesAndResolves takes Nagios's PROBLEM and RECOVERY mails
// through the email routes into etcd and the engine.
func TestMailRaisesPagesAndResolves(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.loadRota(func(name, data string) string {
		return strings.Replace(data, "routes:\n", `routes:
  - name: nagios
    email: {from: '^nagios@', subject: '^\*\* PROBLEM Service Alert: (?P<summary>(?P<key>\S+) is \w+) \*\*$'}
    resolve: {from: '^nagios@', subject: '^\*\* RECOVERY Service Alert: (?P<key>\S+) is'}
`, 1)
	})
	h.runEngine()
	ctx := context.Background()
	handled, err := (&mail.Intake{Alerts: h.svc, Rota: h.holder, Log: quietLog()}).Deliver(ctx, parseFixture(t, "nagios_problem.eml"))
	if err != nil || !handled {
		t.Fatalf("problem mail: %v %v", handled, err)
	}
	alerts := h.alerts()
	if len(alerts) != 1 || alerts[0].Summary != "web-1/HTTP is CRITICAL" || alerts[0].DedupKey != "web-1/HTTP" || alerts[0].Source != "email" {
		t.Fatalf("alerts after the problem mail: %+v", alerts)
	}
	id := alerts[0].ID
	h.pagesTo(id, "alice/sms", "erin/sms(shadow)")
	// The same mail again (a re-send) is counted, not paged.
	if handled, _ := (&mail.Intake{Alerts: h.svc, Rota: h.holder, Log: quietLog()}).Deliver(ctx, parseFixture(t, "nagios_problem.eml")); !handled {
		t.Fatal("repeat not handled")
	}
	if a := h.alert(id); a.Count != 2 {
		t.Errorf("count = %d", a.Count)
	}
	if handled, err := (&mail.Intake{Alerts: h.svc, Rota: h.holder, Log: quietLog()}).Deliver(ctx, parseFixture(t, "nagios_recovery.eml")); err != nil || !handled {
		t.Fatalf("recovery mail: %v %v", handled, err)
	}
	if a := h.alert(id); a.Status() != escalation.StatusResolved || a.Esc.ResolvedBy != "email" {
		t.Fatalf("after recovery: %s by %s", a.Status(), a.Esc.ResolvedBy)
	}
	// Mail no route matches is not handled: the watcher leaves it alone.
	if handled, err := (&mail.Intake{Alerts: h.svc, Rota: h.holder, Log: quietLog()}).Deliver(ctx, parseFixture(t, "zabbix_problem.eml")); err != nil || handled {
		t.Fatalf("unmatched mail: %v %v", handled, err)
	}
	if n := len(h.alerts()); n != 1 {
		t.Errorf("%d alerts", n)
	}
}

func TestProcessedMailIsRememberedAcrossClients(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if seen, err := h.st.MailSeen(ctx, "INBOX/7/42", "msgid:abc@x"); err != nil || seen {
		t.Fatalf("unseen mail seen: %v %v", seen, err)
	}
	if err := h.st.MailRemember(ctx, "INBOX/7/42", "msgid:abc@x"); err != nil {
		t.Fatal(err)
	}
	// Another client of the same etcd (another node, a new leader) knows.
	other, err := store.Open(ctx, store.Config{Endpoints: []string{sharedStore.Endpoint()}, Prefix: h.st.Prefix(), Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if seen, _ := other.MailSeen(ctx, "INBOX/8/1", "msgid:abc@x"); !seen {
		t.Error("a processed Message-ID was forgotten")
	}
	if seen, _ := other.MailSeen(ctx, "INBOX/8/1", "msgid:new@x"); seen {
		t.Error("a new mail counted as processed")
	}
}
