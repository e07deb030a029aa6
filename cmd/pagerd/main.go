// Command pagerd is the on-call scheduling and paging daemon and its CLI.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	_ "time/tzdata" // zones must load on machines without /usr/share/zoneinfo
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, timeNow))
}

// timeNow is the wall clock, the one place main reads it.
func timeNow() time.Time { return time.Now() }

const usage = `pagerd: on-call scheduling and paging

Usage:
  pagerd serve --config DIR [--listen ADDR] [--data-dir DIR] [--etcd-endpoints URLS]
                                         run the daemon (embedded etcd unless endpoints are given)
  pagerd alerts [--state S] [--team T] [--limit N | --all]
                                         list alerts on a running daemon, newest first (--server URL)
  pagerd alert ID [--markdown]           one alert with its timeline (--markdown: for a postmortem;
                                         a retired one: its summary, and where its timeline is archived)
  pagerd history [--from A] [--to B] [--team T]
                                         retired alerts' summaries (kept a year by default)
  pagerd archive search [--id N] [--team T] [--from A] [--to B] [--text S] [--json | --jsonl]
                                         retired alerts' full timelines, from the archive (etcd or its bucket)
  pagerd ack ID | resolve ID | escalate ID | urgent ID
                                         act on an alert (recorded as the operator of your token);
                                         urgent makes it high urgency: it pages now, day or night
  pagerd drill --team T [--role R | --person P] [--escalate]
                                         page a drill through the real path, marked [DRILL],
                                         never paid; it escalates only with --escalate
  pagerd page --alert ID --team T        pull team T's on-call in to help with an open alert
  pagerd major ID                        declare a major incident: page the incident commander
  pagerd directory                       every team and who is on call for it now, with numbers
  pagerd snapshot save FILE [--token-file F] | snapshot restore FILE --data-dir DIR
                                         back up etcd (alerts, history and archive) from a running
                                         daemon; restore into a new data dir
  pagerd route-test DIR MAIL.eml          which email route a saved mail hits, and the alert it makes
  pagerd report --from A --to B [--team T] [--person P] [--format table|csv|json]
                                         out-of-hours pay from the ledger
  pagerd health --from A --to B [--team T] [--person P] [--format table|csv|json]
                                         on-call health: interruptions, sleep, acks, rest,
                                         fairness (docs/health.md)
  pagerd ledger correct --team T --role R --person P --from A --to B --reason WHY [--force]
                                         add a correction to the ledger (admin)
  pagerd bench [--rate R] [--count N | --duration D] [--concurrency C] [--target URL --team T]
                                         load test of a child pagerd serve (or --target): alerts/s,
                                         alert -> Twilio request and timer lateness at a fake
                                         Twilio, RSS, and the store alone (docs/performance.md)
  pagerd check DIR [--format text|json|github|sarif] [--strict]
                                         validate a rota directory (exit 1 on errors, 2 on
                                         warnings with --strict, 3 on usage errors)
  pagerd diff OLD NEW | diff --git REV DIR [--from A] [--to B] [--format text|markdown|json]
                                         what a rota change does to people: shifts, hours,
                                         pay and warnings over the next 12 weeks
  pagerd override add DIR --team T --role R --person P --from A --until B [--note N]
  pagerd override remove DIR --team T --role R --from A
  pagerd shadow add DIR --team T --role R --person P --from A --until B [--reverse]
  pagerd shadow remove DIR --team T --role R --person P --from A
  pagerd member add|remove DIR --team T --role R --person P --from A
                                         edit a team's file in place (comments kept), refusing
                                         any edit that would not pass check; prints the diff
  pagerd who DIR [--team T] [--at TIME]  who is on call now, or at TIME
  pagerd shifts DIR --team T [--from A] [--to B] [--json]
                                         the shifts in [A, B)

TIME is RFC 3339 (2026-11-24T18:00:00Z) or a local time in the team's zone
(2026-11-24 18:00, 2026-11-24T18:00, 2026-11-24).
Run "pagerd COMMAND -h" for a command's flags.
`

// run is main without the process: it returns the exit code, so tests can
// call it with their own output and clock.
func run(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "check":
		return cmdCheck(rest, stdout, stderr, now)
	case "who":
		return cmdWho(rest, stdout, stderr, now)
	case "shifts":
		return cmdShifts(rest, stdout, stderr, now)
	case "diff":
		return cmdDiff(rest, stdout, stderr, now)
	case "override", "shadow", "member":
		return cmdEdit(cmd, rest, stdout, stderr, now)
	case "serve":
		return cmdServe(rest, stdout, stderr)
	case "snapshot":
		return cmdSnapshot(rest, stdout, stderr)
	case "route-test":
		return cmdRouteTest(rest, stdout, stderr)
	case "report":
		return cmdReport(rest, stdout, stderr)
	case "drill":
		return cmdDrill(rest, stdout, stderr)
	case "page":
		return cmdPage(rest, stdout, stderr)
	case "major":
		return cmdMajor(rest, stdout, stderr)
	case "directory":
		return cmdDirectory(rest, stdout, stderr)
	case "health":
		return cmdHealth(rest, stdout, stderr)
	case "ledger":
		return cmdLedger(rest, stdout, stderr)
	case "bench":
		return cmdBench(rest, stdout, stderr)
	case "history":
		return cmdHistory(rest, stdout, stderr)
	case "archive":
		return cmdArchive(rest, stdout, stderr)
	case "alerts", "alert", "ack", "resolve", "escalate", "urgent":
		return cmdClient(cmd, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "pagerd: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
