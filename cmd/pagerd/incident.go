package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/api"
)

// incidentClient parses the API flags every incident command shares and
// returns a client, or an exit code.
func incidentClient(fs *flag.FlagSet, args []string, stderr io.Writer) (*apiClient, []string, int) {
	server := fs.String("server", envOr("PAGERD_SERVER", "http://127.0.0.1:8080"), "pagerd API URL (env PAGERD_SERVER)")
	tokenFile := tokenFileFlag(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, nil, 2
	}
	token, err := clientToken(*tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "pagerd %s: %v\n", fs.Name(), err)
		return nil, nil, 2
	}
	return &apiClient{base: *server, token: token, http: &http.Client{Timeout: 30 * time.Second}}, pos, 0
}

// cmdDrill pages a drill through the real path.
func cmdDrill(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("drill", "drill --team T [--role R | --person P] [--escalate]", stderr)
	var req api.DrillRequest
	fs.StringVar(&req.Team, "team", "", "the team to drill")
	fs.StringVar(&req.Role, "role", "", "drill the holder of this role, e.g. primary or secondary (default: whoever step 1 pages)")
	fs.StringVar(&req.Person, "person", "", "drill this person alone (a shadow can be drilled alone)")
	fs.BoolVar(&req.Escalate, "escalate", false, "go on through the team's later steps if nobody acknowledges")
	c, pos, code := incidentClient(fs, args, stderr)
	if code != 0 {
		return code
	}
	if len(pos) != 0 || req.Team == "" {
		fmt.Fprintln(stderr, "pagerd drill: --team is required")
		fs.Usage()
		return 2
	}
	var out api.Opened
	if err := c.do("POST", "/api/v1/drills", req, &out); err != nil {
		fmt.Fprintf(stderr, "pagerd drill: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "drill #%d is paging (pagerd alert %d shows it; its time to acknowledge is in pagerd health)\n", out.AlertID, out.AlertID)
	return 0
}

// cmdPage pulls another team's on-call in to an open alert.
func cmdPage(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("page", "page --alert ID --team T", stderr)
	alert := fs.String("alert", "", "the open alert to bring them to")
	var req api.PageRequest
	fs.StringVar(&req.Team, "team", "", "the team whose on-call to page")
	c, pos, code := incidentClient(fs, args, stderr)
	if code != 0 {
		return code
	}
	if len(pos) != 0 || *alert == "" || req.Team == "" {
		fmt.Fprintln(stderr, "pagerd page: --alert and --team are required")
		fs.Usage()
		return 2
	}
	id := strings.TrimPrefix(*alert, "#")
	var out api.Opened
	if err := c.do("POST", "/api/v1/alerts/"+url.PathEscape(id)+"/page", req, &out); err != nil {
		fmt.Fprintf(stderr, "pagerd page: %v\n", err)
		return 1
	}
	if out.Status != "created" {
		fmt.Fprintf(stdout, "%s's on-call are already paged about #%s: their part is #%d\n", req.Team, id, out.AlertID)
		return 0
	}
	fmt.Fprintf(stdout, "paging %s's on-call about #%s: their part is #%d\n", req.Team, id, out.AlertID)
	return 0
}

// cmdMajor declares an alert a major incident.
func cmdMajor(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("major", "major ID", stderr)
	c, pos, code := incidentClient(fs, args, stderr)
	if code != 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "pagerd major: want one alert id")
		fs.Usage()
		return 2
	}
	id := strings.TrimPrefix(pos[0], "#")
	var out api.Opened
	if err := c.do("POST", "/api/v1/alerts/"+url.PathEscape(id)+"/major", nil, &out); err != nil {
		fmt.Fprintf(stderr, "pagerd major: %v\n", err)
		return 1
	}
	if out.Status != "created" {
		fmt.Fprintf(stdout, "#%s is already a major incident\n", id)
		return 0
	}
	fmt.Fprintf(stdout, "#%s is a major incident: the incident commander is paged as #%d\n", id, out.AlertID)
	return 0
}

// cmdDirectory prints every team and who is on call for it now.
func cmdDirectory(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("directory", "directory [--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	c, pos, code := incidentClient(fs, args, stderr)
	if code != 0 {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return 2
	}
	var out api.Directory
	if err := c.do("GET", "/api/v1/directory", nil, &out); err != nil {
		fmt.Fprintf(stderr, "pagerd directory: %v\n", err)
		return 1
	}
	if *asJSON {
		return printJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tROLE\tPERSON\tNAME\tSMS\tVOICE")
	for _, t := range out.Teams {
		team := t.Team
		if t.Commander {
			team += " (incident commander)"
		}
		for _, r := range t.OnCall {
			role, person := r.Role, "nobody"
			if r.Shadow {
				role += " (shadow)"
			}
			if r.Person != nil {
				person = *r.Person
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", team, role, person, r.Name, r.SMS, r.Voice)
		}
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
