package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/timefmt"
)

// cmdHistory lists retired alerts' summaries from a running daemon.
func cmdHistory(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("history", "history [--from A] [--to B] [--team T] [--limit N] [--json]", stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := tokenFileFlag(fs)
	from := fs.String("from", "", "created at or after, e.g. 2026-11-01 (UTC); default: no bound")
	to := fs.String("to", "", "created before; default now")
	team := fs.String("team", "", "only this team")
	limit := fs.Int("limit", api.DefaultLimit, "at most this many, newest first (up to 1000)")
	all := fs.Bool("all", false, "every match, a page at a time")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseInterleaved(fs, args); err != nil || len(pos) != 0 {
		if err == nil {
			fs.Usage()
		}
		return 2
	}
	c, code := newClient("history", *server, *tokenFile, stderr)
	if c == nil {
		return code
	}
	q := query(map[string]string{"from": *from, "to": *to, "team": *team, "limit": strconv.Itoa(*limit)})
	list, err := fetchPages(c, "/api/v1/history", q, *all)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd history: %v\n", err)
		return 1
	}
	if *asJSON {
		return printJSON(stdout, list.Alerts)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTEAM\tCREATED\tACKED BY\tRESOLVED BY\tPAGES\tURGENCY\tSUMMARY")
	for _, a := range list.Alerts {
		pages := 0
		if a.Retired != nil {
			pages = a.Retired.Pages
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", a.ID, a.Team, timefmt.PeopleSeconds(a.CreatedAt.Time, time.Local),
			dash(a.Escalation.AckedBy), dash(a.Escalation.ResolvedBy), pages, a.Urgency, a.Summary)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	if list.Truncated {
		fmt.Fprintf(stderr, "pagerd history: showing the newest %d; more match: --to %s for the next page, or --all\n", len(list.Alerts), list.NextCursor)
	}
	return 0
}

// cmdArchive searches the archive of retired alerts' full records.
func cmdArchive(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "search" {
		fmt.Fprintln(stderr, "Usage: pagerd archive search [--id N] [--team T] [--from A] [--to B] [--text S] [--json | --jsonl]")
		return 2
	}
	fs := newFlagSet("archive search", "archive search [--id N] [--team T] [--from A] [--to B] [--text S] [--json | --jsonl]", stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := tokenFileFlag(fs)
	id := fs.String("id", "", "this alert only")
	from := fs.String("from", "", "created at or after, e.g. 2026-11-01 (UTC); default: no bound")
	to := fs.String("to", "", "created before; default now")
	team := fs.String("team", "", "only this team")
	text := fs.String("text", "", "only alerts whose summary, details, dedup key or timeline contain this")
	limit := fs.Int("limit", api.DefaultLimit, "at most this many, newest first (up to 1000)")
	all := fs.Bool("all", false, "every match, a page at a time (with --jsonl: an export of the archive)")
	asJSON := fs.Bool("json", false, "print JSON")
	asJSONL := fs.Bool("jsonl", false, "print one JSON alert a line (an export)")
	if pos, err := parseInterleaved(fs, args[1:]); err != nil || len(pos) != 0 {
		if err == nil {
			fs.Usage()
		}
		return 2
	}
	c, code := newClient("archive search", *server, *tokenFile, stderr)
	if c == nil {
		return code
	}
	q := query(map[string]string{"id": strings.TrimPrefix(*id, "#"), "from": *from, "to": *to, "team": *team, "text": *text, "limit": strconv.Itoa(*limit)})
	list, err := fetchPages(c, "/api/v1/archive", q, *all)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd archive search: %v\n", err)
		return 1
	}
	switch {
	case *asJSON:
		return printJSON(stdout, list.Alerts)
	case *asJSONL:
		enc := json.NewEncoder(stdout)
		for _, a := range list.Alerts {
			if err := enc.Encode(a); err != nil {
				return 1
			}
		}
	default:
		for i, a := range list.Alerts {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			printAlert(stdout, a)
		}
		if len(list.Alerts) == 0 {
			fmt.Fprintln(stderr, "pagerd archive search: no archived alert matches")
		}
	}
	if list.Truncated {
		fmt.Fprintf(stderr, "pagerd archive search: showing the newest %d; more match: --to %s for the next page, or --all\n", len(list.Alerts), list.NextCursor)
	}
	return 0
}

// fetchPages asks path for q's page and, with all, for every next one (the
// next page ends where the last one did: to=next_cursor).
func fetchPages(c *apiClient, path string, q url.Values, all bool) (api.AlertList, error) {
	var out api.AlertList
	for {
		var page api.AlertList
		if err := c.do("GET", path+"?"+q.Encode(), nil, &page); err != nil {
			return out, err
		}
		out.Alerts = append(out.Alerts, page.Alerts...)
		out.Truncated, out.NextCursor = page.Truncated, page.NextCursor
		if !all || !page.Truncated || page.NextCursor == "" {
			return out, nil
		}
		q.Set("to", page.NextCursor)
	}
}

// newClient is an API client with the caller's token; nil and an exit
// code when the token can't be read.
func newClient(cmd, server, tokenFile string, stderr io.Writer) (*apiClient, int) {
	token, err := clientToken(tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", cmd, err)
		return nil, 2
	}
	return &apiClient{base: server, token: token, http: &http.Client{Timeout: 60 * time.Second}}, 0
}

// query is the non-empty values as a query string.
func query(m map[string]string) url.Values {
	q := url.Values{}
	for k, v := range m {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
