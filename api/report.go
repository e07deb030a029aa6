package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pagerd/pagerd/alerts"
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
		s.writeCSV(w, "oncall", from, to, timesheet.Records(lines))
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
	Forced     bool         `json:"forced,omitempty"`
	RotaRev    int64        `json:"rota_rev"`
	RecordedAt timefmt.Time `json:"recorded_at"`
	// TOILMinutes, on a TOIL correction: the minutes of time off in lieu
	// added (negative: taken away) at From. Role is empty and To is From.
	TOILMinutes *int64 `json:"toil_minutes,omitempty"`
}

// CorrectionRequest is a ledger correction: over [from, to), team's role
// was held (or shadowed) by person, whatever the ledger says. The person
// must belong to the team over the window, and the window is at most
// MaxCorrection long, unless Force says the caller knows better (the
// reason then says why). By is accepted for older clients and ignored: the
// correction is recorded as made by the authenticated operator.
type CorrectionRequest struct {
	Team   string `json:"team"`
	Role   string `json:"role"`
	Person string `json:"person"` // "" means nobody held it
	Shadow bool   `json:"shadow"`
	From   string `json:"from"`
	To     string `json:"to"`
	By     string `json:"by,omitempty"`
	Reason string `json:"reason"`
	Force  bool   `json:"force,omitempty"`
	// TOILMinutes makes it a correction of person's time off in lieu in
	// team instead: these minutes added (negative: taken away), counted in
	// the pay report whose window holds From. Role, Shadow and To are not
	// used.
	TOILMinutes *int64 `json:"toil_minutes,omitempty"`
}

// MaxCorrection is the longest window one correction covers without
// force: a month of pay, which is what a correction is normally about.
const MaxCorrection = 31 * 24 * time.Hour

// belongs reports whether person is part of team at some point of
// [from, to): a member of a rotation whose member list is in force then,
// or holding or shadowing one of its shifts (an override, say).
func belongs(t *rotafile.Team, person string, from, to time.Time) bool {
	for _, sh := range t.Schedule.Shifts(from, to) {
		if sh.Person == person {
			return true
		}
	}
	for _, rot := range t.Schedule.Rotations {
		for i, era := range rot.Eras {
			end := rot.End
			if i+1 < len(rot.Eras) {
				end = rot.Eras[i+1].From
			}
			if (!end.IsZero() && !end.After(from)) || !era.From.Before(to) {
				continue // the era and the window don't meet
			}
			if slices.Contains(era.Members, person) {
				return true
			}
		}
	}
	return false
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
	if req.TOILMinutes != nil {
		s.correctTOIL(w, r, rt, team, req)
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
	reason := alerts.CleanLine(req.Reason, alerts.MaxSummary)
	if reason == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "a correction says why (reason)"))
		return
	}
	from, err1 := rotafile.ParseTime(req.From, team.Location)
	to, err2 := rotafile.ParseTime(req.To, team.Location)
	if err1 != nil || err2 != nil || !to.After(from) {
		s.fail(w, r, errorf(http.StatusBadRequest, "from and to must be times, to after from"))
		return
	}
	if to.Sub(from) > MaxCorrection && !req.Force {
		s.fail(w, r, errorf(http.StatusBadRequest, "a correction covers at most 31 days (this one %s); split it, or force it (--force) if you mean it", to.Sub(from).Round(time.Hour)))
		return
	}
	if req.Person != "" && !req.Force && !belongs(team, req.Person, from, to) {
		s.fail(w, r, errorf(http.StatusBadRequest, "%s is not in team %s's rotations, overrides or shadows between %s and %s; force it (--force) if they covered anyway",
			req.Person, req.Team, from.In(team.Location).Format("2006-01-02 15:04"), to.In(team.Location).Format("2006-01-02 15:04")))
		return
	}
	by := operatorOf(r).Name
	source := "correction"
	h := store.Held{Team: req.Team, Role: req.Role, Person: req.Person, Shadow: req.Shadow, Start: from, End: to,
		Source: source, RotaRev: rt.Rev, RecordedAt: s.Clock.Now(), Correction: &store.Correction{By: by, Reason: reason, Forced: req.Force}}
	if err := s.Store.Correct(r.Context(), h); err != nil {
		s.fail(w, r, errorf(http.StatusConflict, "%v", err))
		return
	}
	s.Log.Info("ledger corrected", "team", req.Team, "role", req.Role, "person", req.Person, "from", from, "to", to, "by", by, "reason", reason, "forced", req.Force)
	writeJSON(w, http.StatusCreated, Correction{Team: h.Team, Role: h.Role, Person: h.Person, Shadow: h.Shadow,
		From: timefmt.Of(h.Start), To: timefmt.Of(h.End), By: by, Reason: reason, Forced: req.Force, RotaRev: h.RotaRev, RecordedAt: timefmt.Of(h.RecordedAt)})
}

// maxTOILMinutes bounds one TOIL correction: a week off either way.
const maxTOILMinutes = 7 * 24 * 60

// correctTOIL records a correction of a person's time off in lieu: the
// same request, checks and record of who and why as a ledger correction.
func (s *Server) correctTOIL(w http.ResponseWriter, r *http.Request, rt *inforce.Rota, team *rotafile.Team, req CorrectionRequest) {
	mins := *req.TOILMinutes
	if mins == 0 || mins > maxTOILMinutes || mins < -maxTOILMinutes {
		s.fail(w, r, errorf(http.StatusBadRequest, "toil_minutes must be non-zero and at most a week (%d) either way", maxTOILMinutes))
		return
	}
	if _, ok := rt.People[req.Person]; !ok {
		s.fail(w, r, errorf(http.StatusBadRequest, "a TOIL correction names a person: no person %q", req.Person))
		return
	}
	reason := alerts.CleanLine(req.Reason, alerts.MaxSummary)
	if reason == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "a correction says why (reason)"))
		return
	}
	at, err := rotafile.ParseTime(req.From, team.Location)
	if err != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "from: %v", err))
		return
	}
	if !req.Force && !belongs(team, req.Person, at.AddDate(0, 0, -31), at.AddDate(0, 0, 1)) {
		s.fail(w, r, errorf(http.StatusBadRequest, "%s was not in team %s in the month before %s; force it (--force) if they earned it anyway",
			req.Person, req.Team, at.In(team.Location).Format("2006-01-02 15:04")))
		return
	}
	by := operatorOf(r).Name
	f := store.TOILFix{Team: req.Team, Person: req.Person, At: at, Minutes: mins, RotaRev: rt.Rev, RecordedAt: s.Clock.Now(),
		Correction: &store.Correction{By: by, Reason: reason, Forced: req.Force}}
	if err := s.Store.CorrectTOIL(r.Context(), f); err != nil {
		s.fail(w, r, errorf(http.StatusConflict, "%v", err))
		return
	}
	s.Log.Info("TOIL corrected", "team", req.Team, "person", req.Person, "at", at, "minutes", mins, "by", by, "reason", reason, "forced", req.Force)
	writeJSON(w, http.StatusCreated, Correction{Team: f.Team, Person: f.Person, From: timefmt.Of(at), To: timefmt.Of(at), By: by, Reason: reason,
		Forced: req.Force, RotaRev: f.RotaRev, RecordedAt: timefmt.Of(f.RecordedAt), TOILMinutes: &mins})
}

// writeCSV sends records as a download named NAME-FROM-TO.csv.
func (s *Server) writeCSV(w http.ResponseWriter, name string, from, to time.Time, records [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, name, from.Format("20060102"), to.Format("20060102")))
	if err := csv.NewWriter(w).WriteAll(records); err != nil {
		// The status is sent; all that is left is to say so in the log.
		s.Log.Warn(name+" report: writing the CSV failed", "err", err)
	}
}
