package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/timesheet"
)

// cmdReport prints the pay report for a period from a running daemon.
func cmdReport(args []string, stdout, stderr io.Writer) int {
	r, code := fetchReport("report", "only this person", "/api/v1/reports/oncall", args, stdout, stderr)
	if r == nil {
		return code
	}
	var out api.Report
	if err := r.c.do("GET", "/api/v1/reports/oncall?"+r.q.Encode(), nil, &out); err != nil {
		fmt.Fprintf(stderr, "pagerd report: %v\n", err)
		return 1
	}
	if r.format == "json" {
		return printJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PERSON\tTEAM\tKIND\tCLASS\tHOURS\tAMOUNT\t")
	totals := map[string]int64{}
	for _, l := range out.Lines {
		if l.Kind == string(timesheet.TOIL) {
			// Time off in lieu: hours owed, not money.
			sign, m := "", l.Minutes
			if m < 0 {
				sign, m = "-", -m
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%d:%02d\t-\t\n", l.Person, l.Team, l.Kind, l.Class, sign, m/60, m%60)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d:%02d\t%s %s\t\n", l.Person, l.Team, l.Kind, l.Class, l.Minutes/60, l.Minutes%60, timesheet.FormatAmount(l.Amount), l.Currency)
		totals[l.Person+"\t"+l.Currency] += l.Amount
	}
	tw.Flush()
	for k, v := range totals {
		who, cur, _ := strings.Cut(k, "\t")
		fmt.Fprintf(stdout, "total %s: %s %s\n", who, timesheet.FormatAmount(v), cur)
	}
	return 0
}

// cmdLedger takes corrections to the ledger.
func cmdLedger(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "correct" {
		fmt.Fprintln(stderr, "Usage: pagerd ledger correct --team T --role R --person P --from A --to B --reason WHY [--shadow] [--force]")
		return 2
	}
	fs := newFlagSet("ledger correct", "ledger correct --team T --role R --person P --from A --to B --reason WHY", stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := tokenFileFlag(fs)
	var req api.CorrectionRequest
	fs.StringVar(&req.Team, "team", "", "team")
	fs.StringVar(&req.Role, "role", "", "role")
	fs.StringVar(&req.Person, "person", "", "who really held it (empty: nobody)")
	fs.BoolVar(&req.Shadow, "shadow", false, "correct the person's shadowing instead")
	fs.StringVar(&req.From, "from", "", "start, in the team's zone or RFC 3339")
	fs.StringVar(&req.To, "to", "", "end, exclusive")
	fs.StringVar(&req.Reason, "reason", "", "why, for payroll")
	toil := fs.Int64("toil-minutes", 0, "correct the person's time off in lieu instead: minutes added (negative: taken away) at --from; --role and --to are not used")
	fs.BoolVar(&req.Force, "force", false, "record it even though the person is not on the team then, or the window is over 31 days (say why in --reason)")
	if pos, err := parseInterleaved(fs, args[1:]); err != nil || len(pos) != 0 {
		return 2
	}
	token, err := clientToken(*tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd ledger: %v\n", err)
		return 2
	}
	if *toil != 0 {
		req.TOILMinutes = toil
	}
	c := &apiClient{base: *server, token: token, http: &http.Client{Timeout: 30 * time.Second}}
	var got api.Correction
	if err := c.do("POST", "/api/v1/ledger/corrections", req, &got); err != nil {
		fmt.Fprintf(stderr, "pagerd ledger correct: %v\n", err)
		return 1
	}
	if req.TOILMinutes != nil {
		fmt.Fprintf(stdout, "recorded: %+d minutes of time off in lieu for %s in %s at %s (%s, by %s)\n", *req.TOILMinutes, req.Person, req.Team, req.From, req.Reason, got.By)
		return 0
	}
	fmt.Fprintf(stdout, "recorded: %s %s held by %q from %s to %s (%s, by %s)\n", req.Team, req.Role, req.Person, req.From, req.To, req.Reason, got.By)
	return 0
}

// reportQuery is a report asked of a running daemon: its client, query
// and the output format wanted.
type reportQuery struct {
	c      *apiClient
	q      url.Values
	format string
}

// fetchReport parses the flags the reports share (`pagerd report`,
// `pagerd health`). For --format csv it writes the daemon's CSV to stdout
// itself and returns nil with the exit code; otherwise it returns the
// query for the caller to fetch as JSON (nil and 2 on bad flags).
func fetchReport(name, personHelp, path string, args []string, stdout, stderr io.Writer) (*reportQuery, int) {
	fs := newFlagSet(name, name+" --from A --to B [--team T] [--person P] [--format table|csv|json]", stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := tokenFileFlag(fs)
	from := fs.String("from", "", "start, e.g. 2026-11-01 (local to --team, else UTC)")
	to := fs.String("to", "", "end, exclusive, e.g. 2026-12-01")
	team := fs.String("team", "", "only this team")
	person := fs.String("person", "", personHelp)
	format := fs.String("format", "table", "table, csv or json")
	if pos, err := parseInterleaved(fs, args); err != nil || len(pos) != 0 {
		if err == nil {
			fs.Usage()
		}
		return nil, 2
	}
	if *from == "" || *to == "" {
		fmt.Fprintf(stderr, "pagerd %s: --from and --to are required\n", name)
		return nil, 2
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		fmt.Fprintf(stderr, "pagerd %s: --format is table, csv or json\n", name)
		return nil, 2
	}
	token, err := clientToken(*tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", name, err)
		return nil, 2
	}
	q := url.Values{"from": {*from}, "to": {*to}}
	for k, v := range map[string]string{"team": *team, "person": *person} {
		if v != "" {
			q.Set(k, v)
		}
	}
	r := &reportQuery{c: &apiClient{base: *server, token: token, http: &http.Client{Timeout: 60 * time.Second}}, q: q, format: *format}
	if *format != "csv" {
		return r, 0
	}
	q.Set("format", "csv")
	body, err := r.c.raw(path + "?" + q.Encode())
	if err == nil {
		_, err = stdout.Write(body)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", name, err)
		return nil, 1
	}
	return nil, 0
}
