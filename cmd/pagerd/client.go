package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
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
		"alerts": "alerts [--state open|triggered|acknowledged|resolved|all] [--team T] [--json]",
		"alert":  "alert ID [--json]",
	}[cmd]
	if synopsis == "" {
		synopsis = cmd + " ID [--as NAME]"
	}
	fs := newFlagSet(cmd, synopsis, stderr)
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := fs.String("token-file", os.Getenv("PAGERD_TOKEN_FILE"), "file with the API token (env PAGERD_TOKEN_FILE)")
	asJSON := fs.Bool("json", false, "print JSON")
	var state, team, as *string
	if cmd == "alerts" {
		state = fs.String("state", "open", "open, triggered, acknowledged, resolved or all")
		team = fs.String("team", "", "only this team")
	}
	if cmd == "ack" || cmd == "resolve" || cmd == "escalate" || cmd == "urgent" {
		as = fs.String("as", envOr("USER", "cli"), "who is doing this, for the timeline")
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	token, err := readSecret(*tokenFile)
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
		q := url.Values{"state": {*state}}
		if *team != "" {
			q.Set("team", *team)
		}
		var out struct{ Alerts []api.AlertView }
		if err := c.do("GET", "/api/v1/alerts?"+q.Encode(), nil, &out); err != nil {
			fmt.Fprintf(stderr, "pagerd alerts: %v\n", err)
			return 1
		}
		if *asJSON {
			return printJSON(stdout, out.Alerts)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTEAM\tSTATUS\tCOUNT\tCREATED\tSUMMARY")
		for _, a := range out.Alerts {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", a.ID, a.Team, statusText(a), a.Count, a.CreatedAt.Local().Format("2006-01-02 15:04:05"), a.Summary)
		}
		tw.Flush()
		return 0
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "pagerd %s: want one alert id\n", cmd)
		fs.Usage()
		return 2
	}
	id := strings.TrimPrefix(pos[0], "#")
	var a api.AlertView
	var path string
	var body any
	method := "POST"
	switch cmd {
	case "alert":
		method, path = "GET", "/api/v1/alerts/"+url.PathEscape(id)
	default:
		path = "/api/v1/alerts/" + url.PathEscape(id) + "/" + cmd
		body = api.ActionRequest{By: *as}
	}
	if err := c.do(method, path, body, &a); err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", cmd, err)
		return 1
	}
	if *asJSON {
		return printJSON(stdout, a)
	}
	fmt.Fprintf(stdout, "#%d %s [%s] %s\n", a.ID, a.Team, statusText(a), a.Summary)
	if a.Count > 1 {
		fmt.Fprintf(stdout, "received %d times, last at %s\n", a.Count, a.LastSeenAt.Local().Format("2006-01-02 15:04:05"))
	}
	for _, e := range a.Timeline {
		by := ""
		if e.By != "" {
			by = " (" + e.By + ")"
		}
		fmt.Fprintf(stdout, "  %s  %-10s %s%s\n", e.At.Local().Format("15:04:05.000"), e.Kind, e.Text, by)
	}
	return 0
}

// statusText is an alert's status for a table: a held alert says when it
// will page.
func statusText(a api.AlertView) string {
	if a.HeldUntil != nil {
		return "held until " + a.HeldUntil.Local().Format("2006-01-02 15:04")
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
