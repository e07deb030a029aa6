package web

import (
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/pagerd/pagerd/api"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/rotation"
)

// The Shifts page: a week or a month of shifts, for a team or a person,
// day by day in their zone. A day is local midnight to local midnight, so
// the days a clock change falls on are 23 or 25 hours long, and show it.

type shiftsPage struct {
	Team, Person, View, Date string
	Teams                    []option
	People                   []option
	Zone                     string
	Heading                  string
	Prev, Next, Today        string
	Weeks                    [][]day // a week view has one
	FeedURL                  string  // "" : no calendar secret configured
	Nothing                  bool    // nobody chosen yet
}

type option struct{ ID, Name string }

type day struct {
	Date    string // YYYY-MM-DD
	Label   string // "Mon 2 Nov"
	Hours   int    // 23, 24, 25 (or anything a zone does)
	Odd     bool   // not 24 hours
	Holiday string // its name, "" if none
	Outside bool   // in a month view, a day of the month before or after
	Today   bool
	Weekend bool
	Shifts  []dayShift
}

type dayShift struct {
	Team, Role, Person string
	Source             string // rotation, override, shadow
	Reverse            bool
	Note               string
	From, To           string // "" when the shift covers the whole day
}

func (c *Console) shifts(w http.ResponseWriter, r *http.Request, s *session) error {
	rt, err := c.rotaInForce()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := c.shiftsOf(rt, c.Clock.Now(), q)
	if err != nil {
		return err
	}
	v := c.viewOf(s, "Shifts", "shifts")
	v.Body = p
	c.render(w, r, http.StatusOK, "shifts.html", v, nil)
	return nil
}

func (c *Console) shiftsOf(rt *inforce.Rota, now time.Time, q url.Values) (shiftsPage, error) {
	p := shiftsPage{Team: q.Get("team"), Person: q.Get("person"), View: q.Get("view"), Date: q.Get("date")}
	for _, t := range rt.Teams {
		p.Teams = append(p.Teams, option{t.ID, name(t.Name, t.ID)})
	}
	for id, pp := range rt.People {
		p.People = append(p.People, option{id, name(pp.Name, id)})
	}
	sort.Slice(p.People, func(i, j int) bool { return p.People[i].Name < p.People[j].Name })
	if p.View != "month" {
		p.View = "week"
	}
	if p.Team == "" && p.Person == "" {
		if len(rt.Teams) == 0 {
			p.Nothing = true
			return p, nil
		}
		p.Team = rt.Teams[0].ID
	}
	var teams []*rotafile.Team
	loc := time.UTC
	feed := ""
	switch {
	case p.Team != "":
		t, ok := rt.Team(p.Team)
		if !ok {
			return p, &httpError{http.StatusNotFound, "no team " + p.Team + " in the rota in force"}
		}
		p.Person = ""
		teams, loc, feed = []*rotafile.Team{t}, t.Location, "team/"+t.ID
	default:
		pp, ok := rt.People[p.Person]
		if !ok {
			return p, &httpError{http.StatusNotFound, "no person " + p.Person + " in the rota in force"}
		}
		teams, feed = rt.Teams, "person/"+p.Person
		if pp.Location != nil {
			loc = pp.Location
		}
	}
	p.Zone = loc.String()
	if len(c.CalendarSecret) > 0 {
		// Every signed-in operator may read these shifts here; the feed is
		// the same shifts for their calendar app.
		p.FeedURL = "/api/v1/calendar/" + feed + ".ics?token=" + api.CalendarToken(c.CalendarSecret, feed)
	}

	today := now.In(loc)
	at := today
	if p.Date != "" {
		d, err := time.ParseInLocation("2006-01-02", p.Date, loc)
		if err != nil {
			return p, badRequest("date must be YYYY-MM-DD")
		}
		at = d
	}
	y, m, d := at.Date()
	var first, last time.Time // the days shown: [first, last)
	var prev, next time.Time
	if p.View == "week" {
		first = time.Date(y, m, d-(int(at.Weekday())+6)%7, 0, 0, 0, 0, loc)
		last = time.Date(first.Year(), first.Month(), first.Day()+7, 0, 0, 0, 0, loc)
		prev, next = first.AddDate(0, 0, -7), last
		p.Heading = "Week of " + first.Format("Monday 2 January 2006")
	} else {
		month := time.Date(y, m, 1, 0, 0, 0, 0, loc)
		first = time.Date(y, m, 1-(int(month.Weekday())+6)%7, 0, 0, 0, 0, loc)
		end := month.AddDate(0, 1, 0)
		last = time.Date(end.Year(), end.Month(), end.Day()+(7-(int(end.Weekday())+6)%7)%7, 0, 0, 0, 0, loc)
		prev, next = month.AddDate(0, -1, 0), end
		p.Heading = month.Format("January 2006")
	}
	link := func(t time.Time) string {
		v := url.Values{"view": {p.View}, "date": {t.Format("2006-01-02")}}
		if p.Team != "" {
			v.Set("team", p.Team)
		} else {
			v.Set("person", p.Person)
		}
		return "/shifts?" + v.Encode()
	}
	p.Prev, p.Next, p.Today = link(prev), link(next), link(today)

	// The shifts of the range, and the holidays of the teams they are in.
	var all []rotation.Shift
	holidays := map[string]string{}
	for _, t := range teams {
		found := false
		for _, sh := range t.Schedule.Shifts(first, last) {
			if p.Person == "" || sh.Person == p.Person {
				all = append(all, sh)
				found = true
			}
		}
		if !found && p.Person != "" {
			continue // a person's view shades only their teams' holidays
		}
		for _, h := range t.Holidays {
			n := name(h.Name, "holiday")
			if p.Person != "" {
				n += " (" + t.ID + ")"
			}
			if prevName, ok := holidays[h.Date]; ok && prevName != n {
				n = prevName + ", " + n
			}
			holidays[h.Date] = n
		}
	}
	// all is in the schedule's order: role by role, each by start, then
	// shadows; a day lists its shifts in that order.

	var week []day
	for ds := first; ds.Before(last); {
		de := time.Date(ds.Year(), ds.Month(), ds.Day()+1, 0, 0, 0, 0, loc)
		dd := day{Date: ds.Format("2006-01-02"), Label: ds.Format("Mon 2 Jan"), Hours: int(de.Sub(ds).Round(time.Minute) / time.Hour),
			Outside: p.View == "month" && ds.Month() != m, Weekend: ds.Weekday() == time.Saturday || ds.Weekday() == time.Sunday}
		dd.Odd = de.Sub(ds) != 24*time.Hour
		dd.Holiday = holidays[dd.Date]
		ty, tm, td := today.Date()
		dd.Today = ds.Year() == ty && ds.Month() == tm && ds.Day() == td
		for _, sh := range all {
			if !sh.Start.Before(de) || !sh.End.After(ds) && !sh.End.IsZero() {
				continue
			}
			x := dayShift{Team: sh.Team, Role: sh.Role, Person: sh.Person, Source: string(sh.Source), Reverse: sh.Reverse, Note: sh.Note}
			if pp, ok := rt.People[sh.Person]; ok {
				x.Person = name(pp.Name, sh.Person)
			}
			whole := !sh.Start.After(ds) && (sh.End.IsZero() || !sh.End.Before(de))
			if !whole {
				x.From, x.To = "00:00", "24:00"
				if sh.Start.After(ds) {
					x.From = sh.Start.In(loc).Format("15:04")
				}
				if !sh.End.IsZero() && sh.End.Before(de) {
					x.To = sh.End.In(loc).Format("15:04")
				}
			}
			dd.Shifts = append(dd.Shifts, x)
		}
		week = append(week, dd)
		if len(week) == 7 {
			p.Weeks = append(p.Weeks, week)
			week = nil
		}
		ds = de
	}
	if len(week) > 0 {
		p.Weeks = append(p.Weeks, week)
	}
	return p, nil
}

func name(n, id string) string {
	if n == "" {
		return id
	}
	return n
}
