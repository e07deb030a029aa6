package web

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/timefmt"
)

// The Now page: per team, who holds each role, until when, who is next,
// and who is shadowing.

type nowPage struct {
	At      string
	Query   string
	Teams   []nowTeam
	Matches int // teams shown when searching
	Total   int
	Rev     int64
	LiveURL string
	Every   int64 // ms between live refreshes
}

type nowTeam struct {
	ID, Name, Zone string
	Roles          []nowRole
	Card           template.HTML // the team's card, written by card
}

type nowRole struct {
	Role    string
	Holder  person // Holder.ID "" : nobody
	Source  string // rotation, override
	Note    string
	Until   string // "" : no end
	Next    person
	Shadows []nowShadow
}

type nowShadow struct {
	person
	Reverse bool
	Until   string
}

// person is someone as a page shows them: their name, and whether the
// search found them.
type person struct {
	ID, Name string
	Match    bool
}

func (c *Console) now(w http.ResponseWriter, r *http.Request, s *session) error {
	rt, err := c.rotaInForce()
	if err != nil {
		return err
	}
	v := c.viewOf(s, "On call now", "now")
	q := r.URL.Query()
	p := nowOf(rt, c.Clock.Now(), q.Get("q"))
	p.LiveURL = "/?" + withParam(q, "live", "1")
	// Handoffs are rare: a fifteenth of the alert pages' pace will do.
	p.Every = 15 * c.Poll.Milliseconds()
	v.Body = p
	page := "now.html"
	if q.Get("live") != "" {
		page += ".part" // the page's script, every half minute: handoffs happen
	}
	c.render(w, r, http.StatusOK, page, v, nil)
	return nil
}

// nowOf is the Now page at instant at, narrowed to the teams where
// someone matching q (a person's id or part of their name) is on call,
// next or shadowing.
func nowOf(rt *inforce.Rota, at time.Time, q string) nowPage {
	q = strings.TrimSpace(q)
	out := nowPage{At: timefmt.People(at, time.UTC), Query: q, Total: len(rt.Teams), Rev: rt.Rev}
	lq := strings.ToLower(q)
	who := func(id string) person {
		p := person{ID: id, Name: id}
		if pp, ok := rt.People[id]; ok && pp.Name != "" {
			p.Name = pp.Name
		}
		if lq != "" && id != "" && (id == lq || strings.Contains(strings.ToLower(p.Name), lq)) {
			p.Match = true
		}
		return p
	}
	out.Teams = make([]nowTeam, 0, len(rt.Teams))
	for _, t := range rt.Teams {
		nt := nowTeam{ID: t.ID, Name: t.Name, Zone: t.Location.String()}
		if nt.Name == "" {
			nt.Name = t.ID
		}
		match := false
		for _, oc := range t.Schedule.Who(at) {
			nr := nowRole{Role: oc.Role}
			if h := oc.Holder; h != nil {
				nr.Holder, nr.Source, nr.Note = who(h.Person), string(h.Source), h.Note
				if !h.End.IsZero() {
					nr.Until = short(h.End, t.Location, at)
					if next, ok := t.Schedule.Holder(oc.Role, h.End); ok {
						nr.Next = who(next.Person)
					}
				}
			}
			for _, sh := range oc.Shadows {
				nr.Shadows = append(nr.Shadows, nowShadow{person: who(sh.Person), Reverse: sh.Reverse, Until: until(sh, t.Location, at)})
				match = match || nr.Shadows[len(nr.Shadows)-1].Match
			}
			match = match || nr.Holder.Match || nr.Next.Match
			nt.Roles = append(nt.Roles, nr)
		}
		if q == "" || match {
			nt.Card = nt.card()
			out.Teams = append(out.Teams, nt)
		}
	}
	out.Matches = len(out.Teams)
	return out
}

func until(sh rotation.Shift, loc *time.Location, now time.Time) string {
	if sh.End.IsZero() {
		return ""
	}
	return short(sh.End, loc, now)
}

// short writes an instant near now for a person glancing at a phone:
// "Wed 25 Nov 09:00 GMT", with the year only when it is not now's.
func short(t time.Time, loc *time.Location, now time.Time) string {
	l := t.In(loc)
	if l.Year() != now.In(loc).Year() {
		return l.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return l.Format("Mon 2 Jan 15:04 MST")
}

// card writes the team's card. It is written here rather than in the
// template because the page must render 1,000 teams in well under 50 ms,
// and html/template spends about a microsecond on each of the card's 30
// actions; every value is escaped here as the template would.
func (t nowTeam) card() template.HTML {
	var b strings.Builder
	b.Grow(1024)
	esc := html.EscapeString
	id := esc(t.ID)
	b.WriteString(`<section class="team" id="team-` + id + `" aria-labelledby="h-` + id + `">` + "\n")
	b.WriteString(`<h2 id="h-` + id + `">` + esc(t.Name) + ` <span class="zone">` + esc(t.Zone) + "</span></h2>\n")
	b.WriteString("<table>\n" + `<thead><tr><th scope="col">Role</th><th scope="col">On call</th><th scope="col">Until</th><th scope="col">Next</th></tr></thead>` + "\n<tbody>\n")
	link := func(p person) {
		b.WriteString(`<a href="/shifts?person=` + esc(url.QueryEscape(p.ID)) + `"`)
		if p.Match {
			b.WriteString(` class="match"`)
		}
		b.WriteString(">" + esc(p.Name) + "</a>")
	}
	for _, r := range t.Roles {
		b.WriteString(`<tr><th scope="row">` + esc(r.Role) + `</th><td class="holder">`)
		if r.Holder.ID != "" {
			link(r.Holder)
			if r.Source == string(rotation.SourceOverride) {
				b.WriteString(` <span class="tag override" title="` + esc(r.Note) + `">override</span>`)
			}
		} else {
			b.WriteString(`<span class="nobody">nobody</span>`)
		}
		for _, sh := range r.Shadows {
			kind := "shadow"
			if sh.Reverse {
				kind = "reverse shadow"
			}
			b.WriteString(`<div class="shadow-row"><span class="tag shadow">` + kind + "</span> ")
			link(sh.person)
			if sh.Until != "" {
				b.WriteString(` <span class="until">until ` + esc(sh.Until) + "</span>")
			}
			b.WriteString("</div>")
		}
		b.WriteString("</td><td>" + esc(r.Until) + "</td><td>")
		if r.Next.ID != "" {
			link(r.Next)
		}
		b.WriteString("</td></tr>\n")
	}
	q := esc(url.QueryEscape(t.ID))
	b.WriteString("</tbody>\n</table>\n" + `<p class="links"><a href="/shifts?team=` + q + `">Shifts</a> · <a href="/alerts?team=` + q + `">Alerts</a></p>` + "\n</section>\n")
	return template.HTML(b.String()) // every value above is escaped
}
