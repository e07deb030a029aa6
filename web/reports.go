package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/timesheet"
)

// The Reports page: the pay report for a range, as a table, a CSV and a
// chart of each person's out-of-hours time; then any further reports
// (Console.Reports: the health report, when it exists).

type reportsPage struct {
	From, To, Team string
	Teams          []option
	Lines          []payLine
	Totals         []payTotal
	Chart          chart
	CSV            string
	Extra          []extraReport
	Zone           string
}

type payLine struct {
	Person, Team, Kind, Class, Hours, Rate, Amount, Currency string
}

type payTotal struct {
	Person, Currency, Amount, Hours string
}

type extraReport struct {
	Title string
	HTML  template.HTML
	CSV   string
	Err   string
}

// chart is a horizontal stacked bar chart, laid out here so the template
// only writes numbers.
type chart struct {
	Width, Height int
	Bars          []bar
	Legend        []legend
	Max           string // the axis' end, in hours
	Empty         bool
}

type bar struct {
	Label string
	Y     int
	TextY int
	Parts []part
	Total string
	EndX  int
}

type part struct {
	X, Y, W int
	Class   string
	Title   string
}

type legend struct {
	Class, Label string
	X, TextX     int
}

// outOfHours are the classes the chart shows, in its stacking order.
var outOfHours = []timesheet.Class{timesheet.WeekdayOutOfHours, timesheet.Weekend, timesheet.Holiday}

// reportRange reads from and to like the API does: dates or times in the
// team's zone (UTC without a team); by default the current month.
func reportRange(q url.Values, rt *inforce.Rota, now time.Time) (from, to time.Time, loc *time.Location, err error) {
	loc = time.UTC
	if t, ok := rt.Team(q.Get("team")); ok {
		loc = t.Location
	} else if q.Get("team") != "" {
		return from, to, loc, &httpError{http.StatusNotFound, "no team " + q.Get("team") + " in the rota in force"}
	}
	n := now.In(loc)
	from = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)
	to = from.AddDate(0, 1, 0)
	if v := q.Get("from"); v != "" {
		if from, err = rotafile.ParseTime(v, loc); err != nil {
			return from, to, loc, badRequest("from: " + err.Error())
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = rotafile.ParseTime(v, loc); err != nil {
			return from, to, loc, badRequest("to: " + err.Error())
		}
	}
	if !to.After(from) {
		return from, to, loc, badRequest("to must be after from")
	}
	if to.Sub(from) > 366*24*time.Hour {
		return from, to, loc, badRequest("a report covers at most a year")
	}
	return from, to, loc, nil
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, s *session) error {
	rt, err := c.rotaInForce()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, to, loc, err := reportRange(q, rt, c.Clock.Now())
	if err != nil {
		return err
	}
	team := q.Get("team")
	lines, err := report.Pay(r.Context(), c.Store, rt.Rota, from, to, team, "")
	if err != nil {
		return err
	}
	p := reportsPage{From: dateOrTime(from, loc), To: dateOrTime(to, loc), Team: team, Zone: loc.String()}
	for _, t := range rt.Teams {
		p.Teams = append(p.Teams, option{t.ID, name(t.Name, t.ID)})
	}
	v := url.Values{"from": {p.From}, "to": {p.To}}
	if team != "" {
		v.Set("team", team)
	}
	p.CSV = "/reports/pay.csv?" + v.Encode()
	type key struct{ person, currency string }
	totals := map[key]*[2]int64{} // amount, seconds
	oohs := map[string]map[timesheet.Class]int64{}
	for _, l := range lines {
		rate := ""
		if l.Rate != 0 {
			rate = timesheet.FormatAmount(l.Rate)
		}
		p.Lines = append(p.Lines, payLine{Person: l.Person, Team: l.Team, Kind: string(l.Kind), Class: string(l.Class),
			Hours: hours(l.Seconds), Rate: rate, Amount: timesheet.FormatAmount(l.Amount), Currency: l.Currency})
		k := key{l.Person, l.Currency}
		if totals[k] == nil {
			totals[k] = &[2]int64{}
		}
		totals[k][0] += l.Amount
		if l.Kind == timesheet.Standby || l.Kind == timesheet.Shadow {
			totals[k][1] += l.Seconds
			if oohs[l.Person] == nil {
				oohs[l.Person] = map[timesheet.Class]int64{}
			}
			oohs[l.Person][l.Class] += l.Seconds
		}
	}
	for k, t := range totals {
		p.Totals = append(p.Totals, payTotal{Person: k.person, Currency: k.currency, Amount: timesheet.FormatAmount(t[0]), Hours: hours(t[1])})
	}
	sort.Slice(p.Totals, func(i, j int) bool {
		a, b := p.Totals[i], p.Totals[j]
		return a.Person < b.Person || a.Person == b.Person && a.Currency < b.Currency
	})
	p.Chart = chartOf(oohs)
	for _, x := range c.Reports {
		e := extraReport{Title: x.Title}
		h, err := x.HTML(r.Context(), rt, from, to, team)
		if err != nil {
			c.Log.Error("web: report failed", "report", x.Name, "err", err)
			e.Err = err.Error()
		}
		e.HTML = h
		if x.CSV != nil {
			e.CSV = "/reports/" + x.Name + ".csv?" + v.Encode()
		}
		p.Extra = append(p.Extra, e)
	}
	view := c.viewOf(s, "Reports", "reports")
	view.Body = p
	c.render(w, r, http.StatusOK, "reports.html", view, nil)
	return nil
}

// dateOrTime shows t as a date when it is a local midnight.
func dateOrTime(t time.Time, loc *time.Location) string {
	l := t.In(loc)
	if l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 {
		return l.Format("2006-01-02")
	}
	return l.Format("2006-01-02 15:04")
}

// chartOf lays out each person's out-of-hours standby and shadow time as
// a bar stacked by class.
func chartOf(oohs map[string]map[timesheet.Class]int64) chart {
	const left, right, row, top = 110, 70, 28, 30
	ch := chart{Width: 640}
	var people []string
	var maxSec int64
	for p, byClass := range oohs {
		var sum int64
		for _, cl := range outOfHours {
			sum += byClass[cl]
		}
		if sum > 0 {
			people = append(people, p)
			maxSec = max(maxSec, sum)
		}
	}
	sort.Strings(people)
	ch.Height = top + row*len(people) + 10
	ch.Empty = len(people) == 0
	for i, cl := range outOfHours {
		ch.Legend = append(ch.Legend, legend{Class: string(cl), Label: strings.ReplaceAll(string(cl), "_", " "), X: left + i*170, TextX: left + i*170 + 16})
	}
	if ch.Empty {
		return ch
	}
	span := ch.Width - left - right
	ch.Max = hours(maxSec)
	for i, p := range people {
		b := bar{Label: p, Y: top + i*row, TextY: top + i*row + 17}
		x := left
		var sum int64
		for _, cl := range outOfHours {
			sec := oohs[p][cl]
			if sec == 0 {
				continue
			}
			sum += sec
			w := int(float64(sec) / float64(maxSec) * float64(span))
			b.Parts = append(b.Parts, part{X: x, Y: b.Y, W: max(w, 1), Class: string(cl), Title: fmt.Sprintf("%s: %s h %s", p, hours(sec), strings.ReplaceAll(string(cl), "_", " "))})
			x += w
		}
		b.Total, b.EndX = hours(sum), x+6
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// reportCSV serves /reports/pay.csv and the further reports' CSVs.
func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, s *session) error {
	rt, err := c.rotaInForce()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, to, _, err := reportRange(q, rt, c.Clock.Now())
	if err != nil {
		return err
	}
	file := r.PathValue("file")
	nameOf, ok := strings.CutSuffix(file, ".csv")
	if !ok {
		return &httpError{http.StatusNotFound, "no such report"}
	}
	disposition := fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, nameOf, from.Format("20060102"), to.Format("20060102"))
	if nameOf == "pay" {
		lines, err := report.Pay(r.Context(), c.Store, rt.Rota, from, to, q.Get("team"), "")
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", disposition)
		cw := csv.NewWriter(w)
		if err := cw.WriteAll(timesheet.Records(lines)); err != nil {
			c.Log.Warn("web: writing the pay CSV", "operator", s.op.Name, "err", err) // the browser went away
		}
		return nil
	}
	for _, x := range c.Reports {
		if x.Name == nameOf && x.CSV != nil {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", disposition)
			if err := x.CSV(r.Context(), w, rt, from, to, q.Get("team")); err != nil {
				c.Log.Error("web: report CSV failed", "report", x.Name, "err", err)
			}
			return nil
		}
	}
	return &httpError{http.StatusNotFound, "no such report"}
}
