package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/app"
	"github.com/pagerd/pagerd/timefmt"
)

// apiClient talks to a running pagerd's HTTP API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func (c *apiClient) do(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("is pagerd running at %s? %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s", e.Error)
		}
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// raw GETs path and returns the body as it is (CSV).
func (c *apiClient) raw(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", strings.TrimRight(c.base, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is pagerd running at %s? %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s", e.Error)
		}
		return nil, fmt.Errorf("%s", resp.Status)
	}
	return data, nil
}

func cmdClient(cmd string, args []string, stdout, stderr io.Writer) int {
	synopsis := map[string]string{
		"alerts": "alerts [--state open|triggered|acknowledged|resolved|all] [--team T] [--limit N | --all] [--json]",
		"alert":  "alert ID [--json | --markdown]",
	}[cmd]
	if synopsis == "" {
		synopsis = cmd + " ID"
	}
	fs := newFlagSet(cmd, synopsis, stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := tokenFileFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	var markdown *bool
	if cmd == "alert" {
		markdown = fs.Bool("markdown", false, "print the whole timeline as Markdown (local and UTC times, who was paged, durations): the start of a postmortem")
	}
	var state, team *string
	var limit *int
	var all *bool
	if cmd == "alerts" {
		state = fs.String("state", "open", "open, triggered, acknowledged, resolved or all")
		team = fs.String("team", "", "only this team")
		limit = fs.Int("limit", api.DefaultLimit, "show at most this many alerts, newest first")
		all = fs.Bool("all", false, "show every matching alert (pages through the API)")
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	token, err := clientToken(*tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", cmd, err)
		return 2
	}
	c := &apiClient{base: *server, token: token, http: &http.Client{Timeout: 30 * time.Second}}
	if cmd == "alerts" {
		if len(pos) != 0 {
			fs.Usage()
			return 2
		}
		if *limit < 1 {
			fmt.Fprintln(stderr, "pagerd alerts: --limit must be at least 1")
			return 2
		}
		list, err := listAlerts(c, *state, *team, *limit, *all)
		if err != nil {
			fmt.Fprintf(stderr, "pagerd alerts: %v\n", err)
			return 1
		}
		if *asJSON {
			return printJSON(stdout, list.Alerts)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTEAM\tSTATUS\tCOUNT\tCREATED\tSUMMARY")
		for _, a := range list.Alerts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", a.ID, a.Team, statusText(a), a.Count, timefmt.PeopleSeconds(a.CreatedAt.Time, time.Local), a.Summary)
		}
		if err := tw.Flush(); err != nil {
			return 1
		}
		if list.Truncated {
			// Said on stderr, so scripts reading the table are unaffected,
			// and never silently: there are more than were shown.
			fmt.Fprintf(stderr, "pagerd alerts: showing the newest %d; more match: --limit N or --all\n", len(list.Alerts))
		}
		return 0
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "pagerd %s: want one alert id\n", cmd)
		fs.Usage()
		return 2
	}
	id := strings.TrimPrefix(pos[0], "#")
	if markdown != nil && *markdown {
		body, err := c.raw("/api/v1/alerts/" + url.PathEscape(id) + "?format=markdown")
		if err == nil {
			_, err = stdout.Write(body)
		}
		if err != nil {
			fmt.Fprintf(stderr, "pagerd alert: %v\n", err)
			return 1
		}
		return 0
	}
	var a api.Alert
	var path string
	var body any
	method := "POST"
	switch cmd {
	case "alert":
		method, path = "GET", "/api/v1/alerts/"+url.PathEscape(id)
	default:
		// The server records the token's operator as the actor.
		path = "/api/v1/alerts/" + url.PathEscape(id) + "/" + cmd
		body = api.ActionRequest{}
	}
	if err := c.do(method, path, body, &a); err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", cmd, err)
		return 1
	}
	if *asJSON {
		return printJSON(stdout, a)
	}
	printAlert(stdout, a)
	return 0
}

// printAlert prints one alert with its timeline; a retired alert, its
// summary and where its timeline went.
func printAlert(stdout io.Writer, a api.Alert) {
	fmt.Fprintf(stdout, "#%d %s [%s] %s\n", a.ID, a.Team, statusText(a), a.Summary)
	if r := a.Retired; r != nil {
		fmt.Fprintf(stdout, "created %s", timefmt.PeopleSeconds(a.CreatedAt.Time, time.Local))
		if !a.Escalation.AckedAt.IsZero() {
			fmt.Fprintf(stdout, ", acknowledged %s by %s", timefmt.PeopleSeconds(a.Escalation.AckedAt.Time, time.Local), a.Escalation.AckedBy)
		}
		if !a.Escalation.ResolvedAt.IsZero() {
			by := ""
			if a.Escalation.ResolvedBy != "" {
				by = " by " + a.Escalation.ResolvedBy
			}
			fmt.Fprintf(stdout, ", resolved %s%s", timefmt.PeopleSeconds(a.Escalation.ResolvedAt.Time, time.Local), by)
		}
		fmt.Fprintf(stdout, "; %d pages sent; %s urgency\n", r.Pages, a.Urgency)
		fmt.Fprintf(stdout, "%s\n", r.Note)
		return
	}
	if a.Count > 1 {
		fmt.Fprintf(stdout, "received %d times, last at %s\n", a.Count, timefmt.PeopleSeconds(a.LastSeenAt.Time, time.Local))
	}
	for _, e := range a.Timeline {
		by := ""
		if e.By != "" && !strings.Contains(e.Text, e.By) {
			by = " (" + e.By + ")" // "resolved by email" says it already
		}
		fmt.Fprintf(stdout, "  %s  %-10s %s%s\n", timefmt.PeopleSeconds(e.At.Time, time.Local), e.Kind, e.Text, by)
	}
}

// listAlerts asks for up to limit alerts, or with all for every one, a
// page at a time.
func listAlerts(c *apiClient, state, team string, limit int, all bool) (api.AlertList, error) {
	var out api.AlertList
	q := url.Values{"state": {state}}
	if team != "" {
		q.Set("team", team)
	}
	for {
		size := min(limit-len(out.Alerts), api.MaxLimit)
		if all {
			size = api.MaxLimit
		}
		q.Set("limit", strconv.Itoa(size))
		var page api.AlertList
		if err := c.do("GET", "/api/v1/alerts?"+q.Encode(), nil, &page); err != nil {
			return out, err
		}
		out.Alerts = append(out.Alerts, page.Alerts...)
		out.Truncated = page.Truncated
		if !page.Truncated || (!all && len(out.Alerts) >= limit) {
			return out, nil
		}
		if page.NextCursor == "" {
			return out, fmt.Errorf("the server cut the list without a next_cursor")
		}
		q.Set("cursor", page.NextCursor)
	}
}

// statusText is an alert's status for a table: a held alert says when it
// will page.
func statusText(a api.Alert) string {
	if !a.HeldUntilAt.IsZero() {
		return "held until " + timefmt.People(a.HeldUntilAt.Time, time.Local)
	}
	return string(a.Status)
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// tokenFileFlag is every API command's --token-file.
func tokenFileFlag(fs *flag.FlagSet) *string {
	return fs.String("token-file", os.Getenv("PAGERD_TOKEN_FILE"), "file with your API token (env PAGERD_TOKEN_FILE; or the token itself in PAGERD_TOKEN)")
}

// clientToken is the token the CLI sends: from the file if one is named (an
// empty file is an error), else from PAGERD_TOKEN, else none.
func clientToken(file string) (string, error) {
	if file != "" {
		return app.ReadSecret(file)
	}
	return strings.TrimSpace(os.Getenv("PAGERD_TOKEN")), nil
}
