package main

import (
	"fmt"
	"io"
	"os"

	"github.com/pagerd/pagerd/ingest/mail"
)

// cmdRouteTest shows which route a saved email hits and the alert it would
// make, so a team lead can try a pattern before committing it.
func cmdRouteTest(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("route-test", "route-test DIR MAIL.eml", stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	r := loadRota(pos[0], stderr)
	if r == nil {
		return 1
	}
	raw, err := os.ReadFile(pos[1])
	if err != nil {
		fmt.Fprintf(stderr, "pagerd route-test: %v\n", err)
		return 1
	}
	m, err := mail.Parse(raw, mail.DefaultMaxBody)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd route-test: %s: %v\n", pos[1], err)
		return 1
	}
	fmt.Fprintf(stdout, "from:     %s\nto:       %v\nsubject:  %s\n", m.From, m.To, m.Subject)
	if m.Truncated {
		fmt.Fprintln(stdout, "body:     cut at the size limit")
	}
	match, ok := mail.Route(r, m)
	if !ok {
		fmt.Fprintln(stdout, "no route matches: the mail would be left as it is")
		return 1
	}
	action := "trigger (or count, if an alert with this key is open)"
	if match.Resolve {
		action = "resolve the open alert with this key"
	}
	if match.Resolve && !match.ResolveAny {
		action += " (one this route raised)"
	}
	if match.Refused != "" {
		action = "refused: " + match.Refused + "; the mail would be left as it is"
	}
	fmt.Fprintf(stdout, "team:     %s\nroute:    %s\naction:   %s\nkey:      %s\nsummary:  %s\n", match.Team, match.Route, action, match.Key, match.Summary)
	if match.Refused != "" {
		return 1
	}
	return 0
}
