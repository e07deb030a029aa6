package rotadiff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pagerd/pagerd/timesheet"
)

// FormatHours writes seconds as signed hours and minutes: "+40h",
// "-7h30m", "+45m", "0". Seconds show only when there are any.
func FormatHours(sec int64) string {
	if sec == 0 {
		return "0"
	}
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	h, m, s := sec/3600, sec%3600/60, sec%60
	var b strings.Builder
	b.WriteString(sign)
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// FormatPay writes a change in minor units with its sign and currency:
// "+12.50 GBP", "-3.00 GBP", "0".
func FormatPay(minor int64, currency string) string {
	if minor == 0 {
		return "0"
	}
	s := timesheet.FormatAmount(minor)
	if minor > 0 {
		s = "+" + s
	}
	if currency != "" {
		s += " " + currency
	}
	return s
}

const timeLayout = "Mon 2006-01-02 15:04 MST"

func (t *Team) at(x time.Time) string { return x.In(t.loc).Format(timeLayout) }

func (s Shift) roleLabel() string {
	if s.Shadow {
		return s.Role + " (shadow)"
	}
	return s.Role
}

// length is the stretch's length in hours and minutes: "168h", "2h30m".
func (s Shift) length() string {
	return strings.TrimPrefix(FormatHours(int64(s.End.Sub(s.Start)/time.Second)), "+")
}

func who(p string) string {
	if p == "" {
		return "(nobody)"
	}
	return p
}

// change says what happens in the stretch: "alice -> bob", or for a
// shadow "+ erin" (starts shadowing) or "- erin" (stops).
func (s Shift) change() string {
	if s.Shadow {
		if s.New != "" {
			return "+ " + s.New
		}
		return "- " + s.Old
	}
	return who(s.Old) + " -> " + who(s.New)
}

// summary is the line said when no shift moves.
func (r *Report) summary() string {
	if len(r.Teams) == 0 {
		return "No teams to compare."
	}
	t := r.Teams[0]
	return fmt.Sprintf("No shift moves: %d team(s) compared from %s to %s.", len(r.Teams),
		t.From.Format("2006-01-02 15:04 MST"), t.To.Format("2006-01-02 15:04 MST"))
}

// Text writes the report for a terminal.
func (r *Report) Text(w io.Writer) error {
	ew := &errWriter{w: w}
	if !r.Moved() {
		fmt.Fprintln(ew, r.summary())
	}
	for i := range r.Teams {
		t := &r.Teams[i]
		if t.Status == Unchanged {
			continue
		}
		fmt.Fprintf(ew, "\n%s (%s): %s, %s to %s\n", t.ID, t.Zone, t.Status, t.at(t.From), t.at(t.To))
		for _, n := range t.Notes {
			fmt.Fprintf(ew, "  note: %s\n", n)
		}
		if len(t.Shifts) > 0 {
			fmt.Fprintln(ew, "  shifts that change:")
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
			for _, s := range t.Shifts {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", s.roleLabel(), t.at(s.Start), t.at(s.End), s.length(), s.change())
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(ew, "  no shift moves")
		}
		if len(t.People) > 0 {
			fmt.Fprintln(ew, "  hours and pay, new minus old:")
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "    PERSON\tBUSINESS\tWEEKDAY OUT OF HOURS\tWEEKEND\tHOLIDAY\tSHADOW\tPAY\t")
			for _, p := range t.People {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.Person, FormatHours(p.Standby.Business), FormatHours(p.Standby.WeekdayOutOfHours),
					FormatHours(p.Standby.Weekend), FormatHours(p.Standby.Holiday), FormatHours(p.Shadow.Total()), FormatPay(p.Pay, t.Currency))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		for _, ws := range []struct {
			head string
			list []Warning
		}{{"warnings added", t.WarningsAdded}, {"warnings removed", t.WarningsRemoved}} {
			if len(ws.list) == 0 {
				continue
			}
			fmt.Fprintf(ew, "  %s:\n", ws.head)
			for _, w := range ws.list {
				fmt.Fprintf(ew, "    %s:%d:%d: %s\n", w.File, w.Line, w.Col, w.Message)
			}
		}
	}
	return ew.err
}

// Markdown writes the report as a pull-request comment.
func (r *Report) Markdown(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintln(ew, "### Rota changes")
	if !r.Moved() {
		fmt.Fprintf(ew, "\n%s\n", r.summary())
	}
	for i := range r.Teams {
		t := &r.Teams[i]
		if t.Status == Unchanged {
			continue
		}
		fmt.Fprintf(ew, "\n#### %s (%s)\n\n", md(t.ID), t.Status)
		fmt.Fprintf(ew, "%s to %s, %s.\n\n", t.at(t.From), t.at(t.To), md(t.Zone))
		for _, n := range t.Notes {
			fmt.Fprintf(ew, "> **Note:** %s\n\n", md(n))
		}
		if len(t.Shifts) > 0 {
			fmt.Fprintln(ew, "| role | from | until | hours | was | now |")
			fmt.Fprintln(ew, "|---|---|---|---:|---|---|")
			for _, s := range t.Shifts {
				was, now := who(s.Old), who(s.New)
				if s.Shadow {
					was, now = shadowCell(s.Old), shadowCell(s.New)
				}
				fmt.Fprintf(ew, "| %s | %s | %s | %s | %s | %s |\n", md(s.roleLabel()), t.at(s.Start), t.at(s.End),
					s.length(), md(was), md(now))
			}
			fmt.Fprintln(ew)
		} else {
			fmt.Fprintln(ew, "No shift moves.")
			fmt.Fprintln(ew)
		}
		if len(t.People) > 0 {
			cur := t.Currency
			if cur == "" {
				cur = "no rates"
			}
			fmt.Fprintf(ew, "| person | business | weekday out of hours | weekend | holiday | shadow | pay (%s) |\n", md(cur))
			fmt.Fprintln(ew, "|---|---:|---:|---:|---:|---:|---:|")
			for _, p := range t.People {
				fmt.Fprintf(ew, "| %s | %s | %s | %s | %s | %s | %s |\n", md(p.Person), FormatHours(p.Standby.Business), FormatHours(p.Standby.WeekdayOutOfHours),
					FormatHours(p.Standby.Weekend), FormatHours(p.Standby.Holiday), FormatHours(p.Shadow.Total()), FormatPay(p.Pay, ""))
			}
			fmt.Fprintln(ew)
		}
		for _, w := range t.WarningsAdded {
			fmt.Fprintf(ew, "- :warning: **new warning** `%s:%d`: %s\n", strings.ReplaceAll(w.File, "`", "'"), w.Line, md(w.Message))
		}
		for _, w := range t.WarningsRemoved {
			fmt.Fprintf(ew, "- :white_check_mark: **warning gone**: %s\n", md(w.Message))
		}
		if len(t.WarningsAdded)+len(t.WarningsRemoved) > 0 {
			fmt.Fprintln(ew)
		}
	}
	return ew.err
}

func shadowCell(p string) string {
	if p == "" {
		return "-"
	}
	return p + " shadows"
}

// md escapes what would break a table cell or start markup.
func md(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'")
	return r.Replace(s)
}

// JSON writes the report as indented JSON.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// errWriter keeps the first write error, so a report's many small writes
// need one check.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
