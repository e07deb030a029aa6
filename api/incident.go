package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/pagerd/pagerd/alerts"
	"github.com/pagerd/pagerd/rotation"
)

// DrillRequest is the body of POST /api/v1/drills: drill team's Person
// alone (a shadow may be drilled alone), or the holder of Role, or, with
// neither, whoever its first escalation step pages. Escalate lets it go on
// through the team's later steps if nobody acknowledges.
type DrillRequest struct {
	Team     string `json:"team"`
	Role     string `json:"role,omitempty"`
	Person   string `json:"person,omitempty"`
	Escalate bool   `json:"escalate,omitempty"`
}

// PageRequest is the body of POST /api/v1/alerts/{id}/page: the team whose
// on-call to pull in.
type PageRequest struct {
	Team string `json:"team"`
}

// Opened is the answer of a drill, a page or a major: the alert opened
// (or already open) for it.
type Opened struct {
	Status  string `json:"status"` // created, already paged, already major
	AlertID int64  `json:"alert_id"`
	Message string `json:"message,omitempty"`
}

// decodeStrict reads a JSON body into v, refusing unknown fields.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any, want string) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "body: %v (want %s)", err, want)
	}
	return nil
}

// opened answers a drill, page or major.
func (s *Server) opened(w http.ResponseWriter, r *http.Request, res alerts.Result, err error) {
	var re *alerts.RequestError
	switch {
	case errors.As(err, &re):
		s.fail(w, r, errorf(re.Status, "%s", re.Msg))
		return
	case err != nil && res.AlertID != 0:
		// Paged, but not linked on the alert it helps: say so, with the
		// alert that pages.
		s.Log.Error("helper opened but not linked", "helper", res.AlertID, "err", err)
		writeJSON(w, http.StatusCreated, Opened{Status: res.Status, AlertID: res.AlertID, Message: err.Error()})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	code := http.StatusCreated
	if res.Status != "created" {
		code = http.StatusOK
	}
	writeJSON(w, code, Opened{Status: res.Status, AlertID: res.AlertID, Message: res.Message})
}

func (s *Server) postDrill(w http.ResponseWriter, r *http.Request) {
	var req DrillRequest
	if err := decodeStrict(w, r, &req, `{"team": "payments", "role": "primary"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Team == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "team is required"))
		return
	}
	res, err := s.Alerts.Drill(r.Context(), alerts.DrillRequest{Team: req.Team, Role: req.Role, Person: req.Person, Escalate: req.Escalate, By: operatorOf(r).Name})
	s.opened(w, r, res, err)
}

func (s *Server) pageTeam(w http.ResponseWriter, r *http.Request) {
	id, err := alertID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req PageRequest
	if err := decodeStrict(w, r, &req, `{"team": "platform"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Team == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "team is required"))
		return
	}
	res, err := s.Alerts.PullIn(r.Context(), id, req.Team, operatorOf(r).Name)
	s.opened(w, r, res, err)
}

func (s *Server) declareMajor(w http.ResponseWriter, r *http.Request) {
	id, err := alertID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Alerts.Major(r.Context(), id, operatorOf(r).Name)
	s.opened(w, r, res, err)
}

// DirectoryTeam is one team of the contact directory: who is on call for
// each of its roles now, with how to reach them.
type DirectoryTeam struct {
	Team      string          `json:"team"`
	Name      string          `json:"name"`
	Timezone  string          `json:"timezone"`
	Commander bool            `json:"commander"`
	OnCall    []DirectoryRole `json:"oncall"`
}

// DirectoryRole is a role's holder (null person: nobody) or a shadow.
type DirectoryRole struct {
	Role   string  `json:"role"`
	Shadow bool    `json:"shadow"`
	Person *string `json:"person"`
	Name   string  `json:"name,omitempty"`
	SMS    string  `json:"sms,omitempty"`
	Voice  string  `json:"voice,omitempty"`
}

// Directory is the answer of GET /api/v1/directory.
type Directory struct {
	RotaRev int64           `json:"rota_rev"`
	Teams   []DirectoryTeam `json:"teams"`
}

func (s *Server) directory(w http.ResponseWriter, r *http.Request) {
	rt, err := s.rota()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Clock.Now()
	out := Directory{RotaRev: rt.Rev, Teams: []DirectoryTeam{}}
	for _, t := range rt.Teams {
		dt := DirectoryTeam{Team: t.ID, Name: t.Name, Timezone: t.Location.String(), Commander: t.Commander, OnCall: []DirectoryRole{}}
		add := func(role string, shadow bool, sh *rotation.Shift) {
			row := DirectoryRole{Role: role, Shadow: shadow}
			if sh != nil {
				person := sh.Person
				row.Person = &person
				if p, ok := rt.People[person]; ok {
					row.Name, row.SMS, row.Voice = p.Name, p.SMS, p.Voice
				}
			}
			dt.OnCall = append(dt.OnCall, row)
		}
		for _, oc := range t.Schedule.Who(now) {
			add(oc.Role, false, oc.Holder)
			for i := range oc.Shadows {
				add(oc.Role, true, &oc.Shadows[i])
			}
		}
		out.Teams = append(out.Teams, dt)
	}
	writeJSON(w, http.StatusOK, out)
}
