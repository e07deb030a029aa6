package web

import (
	"net/http"
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
}

type nowTeam struct {
	ID, Name, Zone string
	Roles          []nowRole
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
	v.Body = nowOf(rt, c.Clock.Now(), r.URL.Query().Get("q"))
	c.render(w, r, http.StatusOK, "now.html", v, nil)
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
					nr.Until = timefmt.People(h.End, t.Location)
					if next, ok := t.Schedule.Holder(oc.Role, h.End); ok {
						nr.Next = who(next.Person)
					}
				}
			}
			for _, sh := range oc.Shadows {
				nr.Shadows = append(nr.Shadows, nowShadow{person: who(sh.Person), Reverse: sh.Reverse, Until: until(sh, t.Location)})
				match = match || nr.Shadows[len(nr.Shadows)-1].Match
			}
			match = match || nr.Holder.Match || nr.Next.Match
			nt.Roles = append(nt.Roles, nr)
		}
		if q == "" || match {
			out.Teams = append(out.Teams, nt)
		}
	}
	out.Matches = len(out.Teams)
	return out
}

func until(sh rotation.Shift, loc *time.Location) string {
	if sh.End.IsZero() {
		return ""
	}
	return timefmt.People(sh.End, loc)
}
