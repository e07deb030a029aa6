package mail

import (
	"regexp"
	"slices"
	"testing"

	"github.com/pagerd/pagerd/rotafile"
)

// Finding 7: a raw 8-bit Latin-1 subject (no encoded word) is read in the
// message's declared charset, else Windows-1252, not turned into U+FFFD.
func TestRaw8BitSubject(t *testing.T) {
	for _, c := range []struct{ name, contentType, want string }{
		{"declared latin-1", "text/plain; charset=iso-8859-1", "Problème sur le serveur"},
		{"no charset", "text/plain", "Problème sur le serveur"},
		{"utf-8 declared, latin-1 sent", "text/plain; charset=utf-8", "Problème sur le serveur"},
		{"declared windows-1252", "text/plain; charset=windows-1252", "Problème sur le serveur"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := "From: nagios@monitor.example.com\r\nTo: oncall@example.com\r\nSubject: Probl\xe8me sur le serveur\r\nContent-Type: " + c.contentType + "\r\n\r\nbody\r\n"
			m, err := Parse([]byte(raw), 0)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != c.want {
				t.Errorf("Subject = %q, want %q", m.Subject, c.want)
			}
		})
	}
	// UTF-8 and encoded words are as before.
	m, err := Parse([]byte("From: a@b.c\r\nSubject: =?ISO-8859-1?Q?Probl=E8me?= \xc3\xa9t\xc3\xa9\r\n\r\nx\r\n"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Problème été" {
		t.Errorf("encoded word and UTF-8: %q", m.Subject)
	}
}

// Finding 8: mail that reached the mailbox by Bcc or through an alias names
// it only in the envelope headers the receiving server adds; a route's to
// pattern matches those too.
func TestEnvelopeRecipients(t *testing.T) {
	raw := "Delivered-To: pager+payments@example.com\r\nX-Original-To: payments-alerts@example.com\r\n" +
		"From: monitor@example.com\r\nTo: undisclosed-recipients:;\r\nSubject: disk full\r\n\r\nx\r\n"
	m, err := Parse([]byte(raw), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pager+payments@example.com", "payments-alerts@example.com"} {
		if !slices.Contains(m.To, want) {
			t.Errorf("To = %v, lacks %s", m.To, want)
		}
	}
	r := &rotafile.Rota{Teams: []*rotafile.Team{{ID: "payments", Routes: []rotafile.Route{{
		Email: &rotafile.EmailMatch{To: regexp.MustCompile(`^payments-alerts@`)},
	}}}}}
	if got, ok := Route(r, m); !ok || got.Team != "payments" {
		t.Errorf("Route by X-Original-To = %#v, %v", got, ok)
	}
}
