package message_test

import (
	"fmt"
	"time"

	"github.com/pagerd/pagerd/notifier/message"
)

func ExampleCompose() {
	fmt.Println(message.Compose([]message.Alert{{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"}}))
	fmt.Println(message.Compose([]message.Alert{
		{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"},
		{ID: 43, Team: "payments", Summary: "DB replica lag 40s"},
		{ID: 44, Team: "search", Summary: "Index is stale"},
	}))
	fmt.Println(message.Compose([]message.Alert{{ID: 311, Team: "db", Summary: "Replica lag 40s", Shadow: true, Count: 3, Late: 4 * time.Minute}}))
	// Output:
	// #42 payments: Checkout error rate 12%. Reply 42a ack, 42r resolve, ? help
	// 3 alerts: #42 payments: Checkout error rate 12%; #43 payments: DB replica lag 40s; #44 search: Index is stale. Reply 'ack all' or 42a. ? help
	// [shadow] #311 db (x3, 4m late): Replica lag 40s. Reply 311a ack, 311r resolve, ? help
}

func ExampleParseReply() {
	for _, s := range []string{"42a", "Ack.", "ok", "r 42", "ack all", "?", "42 page platform", "42 major", "fnord", "STOP"} {
		cmd, err := message.ParseReply(s)
		if err != nil {
			fmt.Printf("%-8q -> error: %v\n", s, err)
			continue
		}
		fmt.Printf("%-8q -> %+v\n", s, cmd)
	}
	// Output:
	// "42a"    -> {Verb:ack AlertID:42 All:false Team:}
	// "Ack."   -> {Verb:ack AlertID:0 All:false Team:}
	// "ok"     -> {Verb:ack AlertID:0 All:false Team:}
	// "r 42"   -> {Verb:resolve AlertID:42 All:false Team:}
	// "ack all" -> {Verb:ack AlertID:0 All:true Team:}
	// "?"      -> {Verb:help AlertID:0 All:false Team:}
	// "42 page platform" -> {Verb:page AlertID:42 All:false Team:platform}
	// "42 major" -> {Verb:major AlertID:42 All:false Team:}
	// "fnord"  -> error: Not understood. pagerd: a=ack last page, 42a=ack #42, 42r=resolve, 42e=escalate, 42u=urgent, 42 page TEAM, 42 major, ack all. Don't send STOP: it blocks pages.
	// "STOP"   -> error: Replying STOP makes Twilio block all pages to this phone; reply START to undo it. To acknowledge, reply a or 42a.
}

func ExampleSpeech() {
	fmt.Println(message.Speech(message.Alert{ID: 42, Team: "payments", Summary: "Checkout error rate 12%"}))
	// Output:
	// pagerd alert 4 2 for team payments. Checkout error rate 12 percent. Press 1 to acknowledge, 2 to resolve, 3 to escalate now, 9 to repeat.
}
