package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/report"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/store"
	"github.com/pagerd/pagerd/timefmt"
	"github.com/pagerd/pagerd/timesheet"
)

// ReportLine is one row of the pay report: a person's time of one kind and
// class in one team, and what it is worth.
type ReportLine struct {
	Person   string `json:"person"`
	Team     string `json:"team"`
	Kind     string `json:"kind"`  // standby, shadow, engaged, cap
	Class    string `json:"class"` // business, weekday_out_of_hours, weekend, holiday; "" for cap
	Minutes  int64  `json:"minutes"`
	Seconds  int64  `json:"seconds"`
	Rate     int64  `json:"rate_minor_per_hour"`
	Amount   int64  `json:"amount_minor"`
	Currency string `json:"currency"`
}

// reportWindow reads from and to: RFC 3339, or local dates and times in
// the team's zone when the report is for one team, else in UTC.
func reportWindow(r *http.Request, rt *inforce.Rota) (from, to time.Time, err error) {
	q := r.URL.Query()
	loc := time.UTC
	if t, ok := rt.Team(q.Get("team")); ok {
		loc = t.Location
	}
	if q.Get("from") == "" || q.Get("to") == "" {
		return from, to, errorf(http.StatusBadRequest, "from and to are required, e.g. from=2026-11-01&to=2026-12-01")
	}
	if from, err = rotafile.ParseTime(q.Get("from"), loc); err != nil {
		return from, to, errorf(http.StatusBadRequest, "from: %v", err)
	}
	if to, err = rotafile.ParseTime(q.Get("to"), loc); err != nil {
		return from, to, errorf(http.StatusBadRequest, "to: %v", err)
	}
	if !to.After(from) {
		return from, to, errorf(http.StatusBadRequest, "to must be after from")
	}
	if to.Sub(from) > 366*24*time.Hour {
		return from, to, errorf(http.StatusBadRequest, "a report covers at most a year")
	}
	return from, to, nil
}

func (s *Server) payReport(w http.ResponseWriter, r *http.Request) {
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
	from, to, err := reportWindow(r, rt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lines, err := report.Pay(r.Context(), s.Store, rt.Rota, from, to, q.Get("team"), q.Get("person"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch q.Get("format") {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="oncall-%s-%s.csv"`, from.Format("20060102"), to.Format("20060102")))
		cw := csv.NewWriter(w)
		cw.WriteAll(timesheet.Records(lines))
	case "", "json":
		out := make([]ReportLine, len(lines)) // never null
		for i, l := range lines {
			out[i] = ReportLine{l.Person, l.Team, string(l.Kind), string(l.Class), l.Minutes(), l.Seconds, l.Rate, l.Amount, l.Currency}
		}
		writeJSON(w, http.StatusOK, Report{From: timefmt.Of(from), To: timefmt.Of(to), Lines: out})
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "format must be json or csv"))
	}
}

// Report is the pay report of [From, To).
type Report struct {
	From  timefmt.Time `json:"from"`
	To    timefmt.Time `json:"to"`
	Lines []ReportLine `json:"lines"`
}

// Correction is a ledger correction as recorded.
type Correction struct {
	Team       string       `json:"team"`
	Role       string       `json:"role"`
	Person     string       `json:"person"` // "" means nobody held it
	Shadow     bool         `json:"shadow"`
	From       timefmt.Time `json:"from"`
	To         timefmt.Time `json:"to"`
	By         string       `json:"by"`
	Reason     string       `json:"reason"`
	RotaRev    int64        `json:"rota_rev"`
	RecordedAt timefmt.Time `json:"recorded_at"`
}

// CorrectionRequest is a ledger correction: over [from, to), team's role
// was held (or shadowed) by person, whatever the ledger says.
type CorrectionRequest struct {
	Team   string `json:"team"`
	Role   string `json:"role"`
	Person string `json:"person"` // "" means nobody held it
	Shadow bool   `json:"shadow"`
	From   string `json:"from"`
	To     string `json:"to"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

func (s *Server) correctLedger(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req CorrectionRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "body: %v", err))
		return
	}
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	team, ok := rt.Team(req.Team)
	if !ok {
		s.fail(w, r, errorf(http.StatusBadRequest, "no team %q", req.Team))
		return
	}
	roleOK := false
	for _, rot := range team.Schedule.Rotations {
		roleOK = roleOK || rot.Role == req.Role
	}
	if !roleOK {
		s.fail(w, r, errorf(http.StatusBadRequest, "team %q has no role %q", req.Team, req.Role))
		return
	}
	if _, ok := rt.People[req.Person]; req.Person != "" && !ok {
		s.fail(w, r, errorf(http.StatusBadRequest, "no person %q", req.Person))
		return
	}
	if strings.TrimSpace(req.By) == "" || strings.TrimSpace(req.Reason) == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "a correction says who made it (by) and why (reason)"))
		return
	}
	from, err1 := rotafile.ParseTime(req.From, team.Location)
	to, err2 := rotafile.ParseTime(req.To, team.Location)
	if err1 != nil || err2 != nil || !to.After(from) {
		s.fail(w, r, errorf(http.StatusBadRequest, "from and to must be times, to after from"))
		return
	}
	source := "correction"
	h := store.Held{Team: req.Team, Role: req.Role, Person: req.Person, Shadow: req.Shadow, Start: from, End: to,
		Source: source, RotaRev: rt.Rev, RecordedAt: s.Clock.Now(), Correction: &store.Correction{By: req.By, Reason: req.Reason}}
	if err := s.Store.Correct(r.Context(), h); err != nil {
		s.fail(w, r, errorf(http.StatusConflict, "%v", err))
		return
	}
	s.Log.Info("ledger corrected", "team", req.Team, "role", req.Role, "person", req.Person, "from", from, "to", to, "by", req.By, "reason", req.Reason)
	writeJSON(w, http.StatusCreated, Correction{Team: h.Team, Role: h.Role, Person: h.Person, Shadow: h.Shadow,
		From: timefmt.Of(h.Start), To: timefmt.Of(h.End), By: req.By, Reason: req.Reason, RotaRev: h.RotaRev, RecordedAt: timefmt.Of(h.RecordedAt)})
}
