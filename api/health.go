package api

import (
	"net/http"

	"github.com/pagerd/pagerd/health"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/timefmt"
)

// HealthReport is the answer of GET /api/v1/reports/health: health.Report
// with its instants as the API writes them. docs/health.md explains every
// figure.
type HealthReport struct {
	From     timefmt.Time         `json:"from"`
	To       timefmt.Time         `json:"to"`
	People   []HealthPerson       `json:"people"`
	Teams    []health.TeamFigures `json:"teams"`
	Warnings []health.Warning     `json:"warnings"`
}

// HealthPerson is one person's figures in one team.
type HealthPerson struct {
	health.Person
	Rest *HealthRest `json:"rest"` // null: fewer than two out-of-hours turns of any role
}

// HealthRest is a person's shortest rest between out-of-hours turns.
type HealthRest struct {
	Role  string       `json:"role"`
	Weeks float64      `json:"weeks"`
	From  timefmt.Time `json:"from"`
	Until timefmt.Time `json:"until"`
	Short bool         `json:"short"`
}

// HealthOf shows a health report.
func HealthOf(r *health.Report) HealthReport {
	out := HealthReport{From: timefmt.Of(r.From), To: timefmt.Of(r.To), People: make([]HealthPerson, len(r.People)), Teams: r.Teams, Warnings: r.Warnings}
	for i, p := range r.People {
		out.People[i] = HealthPerson{Person: p}
		if p.Rest != nil {
			out.People[i].Rest = &HealthRest{Role: p.Rest.Role, Weeks: p.Rest.Weeks, From: timefmt.Of(p.Rest.From), Until: timefmt.Of(p.Rest.Until), Short: p.Rest.Short}
		}
	}
	return out
}

func (s *Server) healthReport(w http.ResponseWriter, r *http.Request) {
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if team := q.Get("team"); team != "" {
		if _, ok := rt.Team(team); !ok {
			s.fail(w, r, errorf(http.StatusNotFound, "no team %q", team))
			return
		}
	}
	if p := q.Get("person"); p != "" {
		if _, ok := rt.People[p]; !ok {
			s.fail(w, r, errorf(http.StatusNotFound, "no person %q", p))
			return
		}
	}
	from, to, err := reportWindow(r, rt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := report.Health(r.Context(), s.Store, rt.Rota, from, to, q.Get("team"), q.Get("person"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch q.Get("format") {
	case "csv":
		s.writeCSV(w, "health", from, to, health.Records(rep))
	case "", "json":
		writeJSON(w, http.StatusOK, HealthOf(rep))
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "format must be json or csv"))
	}
}
