package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestLogNotifierWritesThePage(t *testing.T) {
	var buf bytes.Buffer
	n := Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	rec, err := n.Send(context.Background(), Page{AlertID: 42, PageID: "p3", Team: "payments", Summary: "Checkout down",
		Person: "alice", Method: "sms", To: "+447700900001", Role: "primary", Shadow: true})
	if err != nil || rec.Provider != "log" || rec.ID != "42/p3" {
		t.Fatalf("Send = %+v, %v", rec, err)
	}
	for _, want := range []string{`"msg":"PAGE"`, `"alert":42`, `"to":"alice"`, `"number":"+447700900001"`, `"shadow":true`, `[shadow] #42 payments: Checkout down.`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %s: %s", want, buf.String())
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := n.Send(ctx, Page{}); err == nil {
		t.Error("a cancelled send succeeded")
	}
}

// Issue 18, finding 9: a voice page's PAGE line says what the call would
// say, not the text message.
func TestLogNotifierSaysWhatACallWouldSay(t *testing.T) {
	var buf bytes.Buffer
	n := Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	p := Page{AlertID: 42, PageID: "p4", Team: "payments", Summary: "Checkout error rate 12%",
		Person: "alice", Method: "voice", To: "+447700900001", Role: "primary"}
	if _, err := n.Send(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	want := "pagerd alert 4 2 for team payments. Checkout error rate 12 percent."
	if line["speech"] != want || line["text"] != nil {
		t.Errorf("voice PAGE line: speech %q, text %v; want speech %q and no text", line["speech"], line["text"], want)
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("400: unverified number")
	if !IsPermanent(Permanent(base)) || !IsPermanent(fmt.Errorf("send: %w", Permanent(base))) {
		t.Error("Permanent not seen through wrapping")
	}
	if IsPermanent(base) || IsPermanent(nil) || Permanent(nil) != nil {
		t.Error("plain errors are not permanent")
	}
	if !errors.Is(Permanent(base), base) {
		t.Error("Permanent hides its cause")
	}
}

// Issue 19, finding 5: a handoff notice's log line is a NOTICE about a
// shift, without the alert 0 and "0/" a PAGE line would carry.
func TestLogNotifierWritesANoticeAsANotice(t *testing.T) {
	var buf bytes.Buffer
	n := Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	text := "pagerd: from Mon 30 Nov 09:00 UTC you are ops primary, taking over from alice."
	if _, err := n.Send(context.Background(), Page{Team: "ops", Person: "bob", Method: "sms", To: "+447700900002", Role: "primary", Summary: text, Text: text}); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, want := range []string{`"msg":"NOTICE"`, `"to":"bob"`, `"role":"primary"`, `taking over from alice`} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %s: %s", want, line)
		}
	}
	for _, bad := range []string{`"alert"`, `"covers"`, `0/`} {
		if strings.Contains(line, bad) {
			t.Errorf("a notice's log line has %s: %s", bad, line)
		}
	}
}
