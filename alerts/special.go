package alerts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/rotafile"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/store"
)

// Alerts the service opens itself, each paged through the real path by
// its own policy: a drill (practice, never paid), another team's on-call
// pulled in to help with an open alert, and the incident commander of a
// major incident. A helper alert is the other team's part: they
// acknowledge it as their own, and it is resolved with the alert it helps.

// special is what makes an alert one of these.
type special struct {
	kind   string // the timeline entry's kind: drill, help, commander
	by     string
	note   string
	drill  bool
	policy *escalation.Policy
	parent int64
}

// Helper kinds.
const (
	HelpKind      = "help"
	CommanderKind = "commander"
)

// SourceDrill and SourcePagerd are the sources of the alerts the service
// opens itself.
const (
	SourceDrill  = "drill"
	SourcePagerd = "pagerd"
)

// DrillMarker starts a drill's summary, so every page, call and timeline
// says it is one.
const DrillMarker = "[DRILL]"

// RequestError is a request the service refuses: bad (400), missing
// (404) or in conflict with the alert's state (409).
type RequestError struct {
	Status int // an HTTP status code
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }

func badf(format string, args ...any) error {
	return &RequestError{400, fmt.Sprintf(format, args...)}
}

func notFoundf(format string, args ...any) error {
	return &RequestError{404, fmt.Sprintf(format, args...)}
}

func conflictf(format string, args ...any) error {
	return &RequestError{409, fmt.Sprintf(format, args...)}
}

// DrillRequest asks for a drill of Team: Person alone (a shadow can be
// drilled alone), or the holder of Role (and its shadows), or, with
// neither, whoever the team's first step pages. Escalate lets it go on
// through the team's later steps, once, if nobody acknowledges; by default
// it stops after its one step.
type DrillRequest struct {
	Team, Role, Person string
	Escalate           bool
	By                 string
}

// Drill pages a drill through the real path.
func (s *Service) Drill(ctx context.Context, req DrillRequest) (Result, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	rt, err := s.rota()
	if err != nil {
		return Result{}, err
	}
	t, ok := rt.Team(req.Team)
	if !ok {
		return Result{}, notFoundf("no team %q", req.Team)
	}
	if len(t.Escalation.Steps) == 0 {
		return Result{}, badf("team %q has no escalation steps", req.Team)
	}
	first := t.Escalation.Steps[0]
	step := escalation.PolicyStep{Targets: first.Targets, AckTimeout: first.AckTimeout}
	what := "whoever step 1 pages"
	switch {
	case req.Role != "" && req.Person != "":
		return Result{}, badf("name a role or a person to drill, not both")
	case req.Person != "":
		if _, ok := rt.People[req.Person]; !ok {
			return Result{}, notFoundf("no person %q", req.Person)
		}
		step.Targets, what = []escalation.Target{{Person: req.Person}}, req.Person
	case req.Role != "":
		if !slices.ContainsFunc(t.Schedule.Rotations, func(r *rotation.Rotation) bool { return r.Role == req.Role }) {
			return Result{}, notFoundf("team %q has no role %q", req.Team, req.Role)
		}
		step.Targets, what = []escalation.Target{{Role: req.Role}}, "the "+req.Role
	}
	policy := escalation.Policy{Steps: []escalation.PolicyStep{step}, WaitForTimeout: t.Escalation.WaitForTimeout}
	how := "it stops after this one step"
	if req.Escalate {
		policy.Steps = append(policy.Steps, t.Escalation.Steps[1:]...)
		how = "it escalates through the team's later steps, once, if nobody acknowledges"
	}
	ev := Clean(Event{Action: Trigger, Summary: fmt.Sprintf("%s practice page for %s: acknowledge it as you would a real one", DrillMarker, req.Team),
		Severity: SeverityCritical, Source: SourceDrill, Origin: req.By})
	sp := &special{kind: "drill", by: CleanLine(req.By, MaxBy), drill: true, policy: &policy,
		note: fmt.Sprintf("drill of %s asked for by %s; %s; never paid as engaged time", what, CleanLine(req.By, MaxBy), how)}
	p, err := s.prepareSpecial(ctx, rt, req.Team, ev, s.now(), sp)
	if err != nil {
		return Result{}, err
	}
	return s.commit(ctx, p)
}

// PullIn pages team's on-call (by the first step of their own policy, as
// often as it repeats) about open alert id, as by: an alert of their own,
// linked both ways, that they acknowledge as their part.
func (s *Service) PullIn(ctx context.Context, id int64, team, by string) (Result, error) {
	rt, err := s.rota()
	if err != nil {
		return Result{}, err
	}
	t, ok := rt.Team(team)
	if !ok {
		return Result{}, notFoundf("no team %q", team)
	}
	if len(t.Escalation.Steps) == 0 {
		return Result{}, badf("team %q has no escalation steps", team)
	}
	policy := escalation.Policy{Steps: slices.Clone(t.Escalation.Steps[:1]), Repeat: t.Escalation.Repeat, WaitForTimeout: t.Escalation.WaitForTimeout}
	return s.addHelper(ctx, rt, id, t, HelpKind, by, policy)
}

// Major declares open alert id a major incident, as by: it is marked so on
// its timeline, and the incident commander on call (the rota's commander
// team) is paged in parallel by that team's own policy. Declaring it
// again changes nothing.
func (s *Service) Major(ctx context.Context, id int64, by string) (Result, error) {
	rt, err := s.rota()
	if err != nil {
		return Result{}, err
	}
	t := rt.Commander()
	if t == nil {
		return Result{}, badf("the rota has no incident commander: give a team `commander: true`")
	}
	return s.addHelper(ctx, rt, id, t, CommanderKind, by, t.Escalation)
}

// addHelper opens the helper alert and links it to its parent.
func (s *Service) addHelper(ctx context.Context, rt *inforce.Rota, id int64, t *rotafile.Team, kind, by string, policy escalation.Policy) (Result, error) {
	ctx, cancel := s.opCtx(ctx)
	defer cancel()
	by = CleanLine(by, MaxBy)
	parent, err := s.Store.Get(ctx, id)
	if err != nil {
		return Result{}, err
	}
	switch {
	case parent.Status() == escalation.StatusResolved:
		return Result{}, conflictf("alert %d is resolved", id)
	case parent.Parent != 0:
		return Result{}, conflictf("alert %d is itself a helper of alert %d: pull help into that one", id, parent.Parent)
	case parent.Team == t.ID && kind == HelpKind:
		return Result{}, badf("alert %d is already team %s's", id, t.ID)
	case kind == CommanderKind && parent.Major:
		return Result{Status: "already major", AlertID: id}, nil
	}
	for _, h := range parent.Helpers {
		if h.Team == t.ID && h.Kind == kind {
			if cur, err := s.Store.Get(ctx, h.AlertID); err == nil && cur.Status() != escalation.StatusResolved {
				return Result{Status: "already paged", AlertID: h.AlertID, Message: fmt.Sprintf("team %s is already on alert %d as alert %d", t.ID, id, h.AlertID)}, nil
			}
		}
	}
	tag, note := "[HELP #"+strconv.FormatInt(id, 10)+"]", fmt.Sprintf("pulled in by %s to help with alert %d (team %s)", by, id, parent.Team)
	if kind == CommanderKind {
		tag, note = "[MAJOR #"+strconv.FormatInt(id, 10)+"]", fmt.Sprintf("incident commander paged by %s: alert %d (team %s) is a major incident", by, id, parent.Team)
	}
	ev := Clean(Event{Action: Trigger, Summary: tag + " " + parent.Summary, Severity: SeverityCritical, Source: SourcePagerd,
		Origin: "alert " + strconv.FormatInt(id, 10), Links: parent.Links})
	pol := policy
	sp := &special{kind: kind, by: by, note: note, policy: &pol, parent: id}
	now := s.now()
	p, err := s.prepareSpecial(ctx, rt, t.ID, ev, now, sp)
	if err != nil {
		return Result{}, err
	}
	res, err := s.commit(ctx, p)
	if err != nil {
		return Result{}, err
	}
	// Link it on the parent. The helper is paging already: a failure here
	// leaves it unlinked on the parent's side only (its own timeline names
	// the parent), so say so in the error and the log.
	_, err = s.Store.Update(ctx, id, nil, func(a *store.Alert) (store.Change, error) {
		a.Helpers = append(a.Helpers, store.Helper{AlertID: res.AlertID, Team: t.ID, Kind: kind, By: by, At: now})
		if kind == CommanderKind {
			a.Major = true
			a.Note(now, "major", by, "declared a major incident by %s; incident commander (team %s) paged: alert %d", by, t.ID, res.AlertID)
		} else {
			a.Note(now, "help", by, "team %s's on-call pulled in by %s: alert %d", t.ID, by, res.AlertID)
		}
		a.UpdatedAt = now
		return store.Change{}, nil
	})
	if err != nil {
		s.log().Error("helper alert opened but not linked on its parent", "alert", id, "helper", res.AlertID, "team", t.ID, "kind", kind, "err", err)
		return res, fmt.Errorf("alert %d pages team %s, but linking it on alert %d failed: %w", res.AlertID, t.ID, id, err)
	}
	s.log().Info("helper paged", "alert", id, "helper", res.AlertID, "team", t.ID, "kind", kind, "by", by)
	return res, nil
}

// resolveHelpers resolves the open helper alerts of a just-resolved
// alert: their part ends with it. They are resolved as "pagerd" (not a
// person), so nobody is paid a callout for it; whoever acknowledged a
// helper is paid from their ack to now.
func (s *Service) resolveHelpers(ctx context.Context, a *store.Alert) {
	for _, h := range a.Helpers {
		_, err := s.step(ctx, h.AlertID, nil, escalation.Resolve{By: SourcePagerd}, func(c *store.Alert) bool {
			return c.Status() != escalation.StatusResolved
		})
		var already *escalation.AlreadyError
		if err != nil && !errors.As(err, &already) && !errors.Is(err, store.ErrNotFound) {
			s.log().Error("helper alert not resolved with its parent", "alert", a.ID, "helper", h.AlertID, "team", h.Team, "err", err)
		}
	}
}
