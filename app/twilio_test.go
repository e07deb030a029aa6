package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pagerd/pagerd/notifier"
	"github.com/pagerd/pagerd/store"
)

func TestTwilioSettings(t *testing.T) {
	// Not configured: the log notifier stays.
	if n, err := twilioNotifier(Config{}, nil); n != nil || err != nil {
		t.Fatalf("no Twilio settings: %v %v", n, err)
	}
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	c := Config{Twilio: TwilioConfig{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthTokenFile: token, SMSFrom: "+15005550006"}}
	if _, err := twilioNotifier(c, nil); err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Fatalf("without a public URL: %v", err)
	}
	c.PublicURL = "https://pagerd.example.com"
	n, err := twilioNotifier(c, nil)
	if err != nil || n == nil || n.Name() != "twilio" {
		t.Fatalf("configured: %v %v", n, err)
	}
	c.Twilio.SMSFrom = "07700 900000"
	if _, err := twilioNotifier(c, nil); err == nil {
		t.Error("a from-number that isn't E.164 was accepted")
	}
	c.Twilio.SMSFrom, c.Twilio.AuthTokenFile = "+15005550006", filepath.Join(dir, "missing")
	if _, err := twilioNotifier(c, nil); err == nil {
		t.Error("a missing token file was accepted")
	}
}

// TestPageWords: the engine's pages and Twilio's calls say what
// notifier/message writes, the newest alert speaking for a bundle.
func TestPageWords(t *testing.T) {
	pages := []store.OutboxPage{
		{AlertID: 42, Team: "payments", Summary: "Checkout errors"},
		{AlertID: 43, Team: "payments", Summary: "DB lag", Shadow: true},
	}
	p := notifier.Page{AlertID: 43, Team: "payments", Summary: "DB lag", Late: 4 * time.Minute, Bundled: []int64{42, 43}}
	if got := pageText(p, pages); !strings.HasPrefix(got, "2 alerts: #42 payments: Checkout errors; #43") || !strings.Contains(got, "4m late") {
		t.Errorf("bundle text: %q", got)
	}
	if got := callSpeech(p); !strings.HasPrefix(got, "You have 2 alerts. The latest: pagerd alert 4 3 for team payments.") || !strings.Contains(got, "4 minutes late") {
		t.Errorf("bundle speech: %q", got)
	}
	p.Bundled = nil
	if got := callSpeech(p); !strings.HasPrefix(got, "pagerd alert 4 3 for team payments.") {
		t.Errorf("one alert's speech: %q", got)
	}
}
