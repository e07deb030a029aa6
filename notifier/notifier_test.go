package notifier

import (
	"bytes"
	"context"
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
