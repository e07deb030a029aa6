// Package health answers whether a rota is humane, from what happened: the
// pay ledger's record of who held each role, and the alerts' record of who
// was paged, when, and who acknowledged. docs/health.md explains every
// figure with a worked example.
//
// It is pure: no I/O, no wall clock, no package state. The caller reads the
// ledger and the alerts and maps them into an Input.
package health

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pagerd/pagerd/timesheet"
)

// DefaultSleepStart and DefaultSleepEnd bound sleep hours, local time of
// day in the person's zone, for a team that sets none: 22:00 to 08:00.
const (
	DefaultSleepStart = 22 * time.Hour
	DefaultSleepEnd   = 8 * time.Hour
)

// MinRest is the least rest a healthy rota gives between two out-of-hours
// turns of a role: three weeks on the team's wall clock.
const MinRest = 21 // days

// minPeople is the head count below which nobody can get MinRest.
const minPeople = 4

// maxStretch is the longest one person should hold a role in a row, on the
// team's wall clock.
const maxStretchDays = 7

// Team is what the report needs to know about one team.
type Team struct {
	Calendar timesheet.Calendar
	// SleepStart and SleepEnd are sleep hours, local time of day in each
	// person's own zone; Start > End runs over midnight (22:00 to 08:00).
	// Both zero: the defaults.
	SleepStart, SleepEnd time.Duration
	// Members are the people of its rotations over the report's range:
	// with everyone who held a role, they share its out-of-hours time
	// equally in a fair rota (someone who never got a turn counts too).
	Members []string
}

// Page is one person's first page in one alert.
type Page struct {
	Person string
	At     time.Time
	Shadow bool // a shadow's copy
}

// Alert is one alert as the report needs it.
type Alert struct {
	ID      int64
	Team    string
	Created time.Time
	Drill   bool
	Pages   []Page // each person once, at their first page
	// AckedBy is who acknowledged it ("" : nobody did); an operator who is
	// not a person of the rota counts as an acknowledgement but no
	// person's.
	AckedBy    string
	AckedAt    time.Time
	ResolvedAt time.Time // zero while open
	// Escalated: it went past the policy's first step (by timeout, by
	// someone asking, or by running out).
	Escalated bool
}

// Input is everything the report is computed from.
type Input struct {
	// From and To bound the report: on-call time is cut to [From, To);
	// alerts count when created in it.
	From, To time.Time
	Teams    map[string]Team
	// Zones gives each person's own zone, for sleep hours; a person with
	// none is taken to live in the team's zone.
	Zones map[string]*time.Location
	// Held is the ledger, corrections applied: who held (or shadowed)
	// which role when.
	Held   []timesheet.Segment
	Alerts []Alert
	// Person, if set, keeps only that person's rows (and the teams they
	// appear in); team figures and shares are still over everyone.
	Person string
}

// Durations are percentiles of a set of durations, in whole seconds;
// nil when the set is empty.
type Durations struct {
	N   int    `json:"n"`
	P50 *int64 `json:"p50_seconds"`
	P90 *int64 `json:"p90_seconds"`
}

// OnCall is held time by class, in seconds.
type OnCall struct {
	Business          int64 `json:"business_seconds"`
	WeekdayOutOfHours int64 `json:"weekday_out_of_hours_seconds"`
	Weekend           int64 `json:"weekend_seconds"`
	Holiday           int64 `json:"holiday_seconds"`
}

// OutOfHours is all but business time.
func (o OnCall) OutOfHours() int64 { return o.WeekdayOutOfHours + o.Weekend + o.Holiday }

func (o *OnCall) add(c timesheet.Class, sec int64) {
	switch c {
	case timesheet.Business:
		o.Business += sec
	case timesheet.WeekdayOutOfHours:
		o.WeekdayOutOfHours += sec
	case timesheet.Weekend:
		o.Weekend += sec
	case timesheet.Holiday:
		o.Holiday += sec
	}
}

// Rest is a person's shortest rest between two out-of-hours turns of one
// role in the range.
type Rest struct {
	Role  string    `json:"role"`
	Weeks float64   `json:"weeks"` // on the team's wall clock, to two places
	From  time.Time `json:"from"`  // the end of the earlier turn
	Until time.Time `json:"until"` // the start of the later one
	Short bool      `json:"short"` // under three weeks
}

// Person is one person's figures in one team.
type Person struct {
	Person string `json:"person"`
	Team   string `json:"team"`
	OnCall OnCall `json:"on_call"`
	// ShadowSeconds is time shadowing a role while holding none.
	ShadowSeconds int64 `json:"shadow_seconds"`
	// Pages counts alerts (not drills) that paged them, shadow copies
	// included; each alert once.
	Pages             int `json:"pages"`
	OutOfHoursPages   int `json:"out_of_hours_interruptions"`
	SleepPages        int `json:"sleep_interruptions"`
	NightsInterrupted int `json:"nights_interrupted"`
	// Ack is from their first page to their ack, over the alerts they
	// acknowledged.
	Ack Durations `json:"time_to_ack"`
	// Drills counts drills that paged them; DrillAck is as Ack.
	Drills   int       `json:"drills"`
	DrillAck Durations `json:"drill_time_to_ack"`
	Rest     *Rest     `json:"rest"` // nil: fewer than two out-of-hours turns of any role
	// OutOfHoursShare is their part of the team's out-of-hours on-call
	// time, EqualShare one over the people sharing it, and Fairness the
	// first over the second (1: exactly their share; 2: twice it).
	OutOfHoursShare float64 `json:"out_of_hours_share"`
	EqualShare      float64 `json:"equal_share"`
	Fairness        float64 `json:"fairness"`
}

// TeamFigures are one team's alert figures.
type TeamFigures struct {
	Team   string `json:"team"`
	Alerts int    `json:"alerts"` // created in the range, drills apart
	// Ack is from the first page (or creation, if nobody was paged) to the
	// ack; Resolve from creation to resolution.
	Ack       Durations `json:"time_to_ack"`
	Resolve   Durations `json:"time_to_resolve"`
	Escalated int       `json:"escalated"`       // went past the first step
	Unacked   int       `json:"acked_by_nobody"` // resolved without an ack, or still unacknowledged at the end
	Drills    int       `json:"drills"`
	DrillAck  Durations `json:"drill_time_to_ack"`
	// OutOfHoursSeconds is the held out-of-hours time everyone shares.
	OutOfHoursSeconds int64 `json:"out_of_hours_seconds"`
	// Sharing is how many people share it: members and holders.
	Sharing int `json:"sharing"`
}

// Warning is a rota-health warning (as `pagerd check` gives them about the
// rota's future) about what happened.
type Warning struct {
	Team   string `json:"team"`
	Person string `json:"person,omitempty"`
	Rule   string `json:"rule"` // small-rotation, long-stretch, short-rest
	Msg    string `json:"message"`
}

// Rules of the warnings, named as `pagerd check` names them.
const (
	RuleSmallRotation = "small-rotation"
	RuleLongStretch   = "long-stretch"
	RuleShortRest     = "short-rest"
)

// Report is the whole health report.
type Report struct {
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	People   []Person      `json:"people"`
	Teams    []TeamFigures `json:"teams"`
	Warnings []Warning     `json:"warnings"`
}

// teamState is one team's working figures.
type teamState struct {
	cal         timesheet.Compiled
	sleepS      int64 // seconds since local midnight
	sleepE      int64
	members     map[string]bool
	held        map[string]map[string][]span // person -> role -> spans
	shadow      map[string][]span
	fig         TeamFigures
	ack, res    []int64
	drillAck    []int64
	personAck   map[string][]int64
	personDrill map[string][]int64
}

// span is [s, e) in Unix seconds.
type span = timesheet.Span

// Compute works out the report. Every team named by a segment or alert
// must be in in.Teams (others' records are an error, not silently dropped).
func Compute(in Input) (*Report, error) {
	lo, hi := in.From.Unix(), in.To.Unix()
	if hi <= lo {
		return nil, fmt.Errorf("the report's end (%v) is not after its start (%v)", in.To, in.From)
	}
	teams := map[string]*teamState{}
	team := func(id string) (*teamState, error) {
		if ts, ok := teams[id]; ok {
			return ts, nil
		}
		t, ok := in.Teams[id]
		if !ok {
			return nil, fmt.Errorf("team %q is not in the rota", id)
		}
		cal, err := t.Calendar.Compile()
		if err != nil {
			return nil, fmt.Errorf("team %q: %w", id, err)
		}
		ss, se := t.SleepStart, t.SleepEnd
		if ss == 0 && se == 0 {
			ss, se = DefaultSleepStart, DefaultSleepEnd
		}
		ts := &teamState{cal: cal, sleepS: int64(ss / time.Second), sleepE: int64(se / time.Second),
			members: map[string]bool{}, held: map[string]map[string][]span{}, shadow: map[string][]span{},
			fig: TeamFigures{Team: id}, personAck: map[string][]int64{}, personDrill: map[string][]int64{}}
		for _, m := range t.Members {
			ts.members[m] = true
		}
		teams[id] = ts
		return ts, nil
	}

	type pkey struct{ person, team string }
	people := map[pkey]*Person{}
	nights := map[pkey]map[timesheet.Date]bool{}
	person := func(p, t string) *Person {
		k := pkey{p, t}
		if r := people[k]; r != nil {
			return r
		}
		r := &Person{Person: p, Team: t}
		people[k] = r
		return r
	}

	for i, s := range in.Held {
		if s.Person == "" || s.Team == "" {
			return nil, fmt.Errorf("ledger entry %d has no person or team", i)
		}
		ts, err := team(s.Team)
		if err != nil {
			return nil, fmt.Errorf("ledger entry %d: %w", i, err)
		}
		a, b := max(s.Start.Unix(), lo), min(s.End.Unix(), hi)
		if a >= b {
			continue
		}
		person(s.Person, s.Team)
		if s.Shadow {
			ts.shadow[s.Person] = append(ts.shadow[s.Person], span{S: a, E: b})
			continue
		}
		roles := ts.held[s.Person]
		if roles == nil {
			roles = map[string][]span{}
			ts.held[s.Person] = roles
		}
		roles[s.Role] = append(roles[s.Role], span{S: a, E: b})
	}

	for _, al := range in.Alerts {
		c := al.Created.Unix()
		if c < lo || c >= hi {
			continue
		}
		ts, err := team(al.Team)
		if err != nil {
			return nil, fmt.Errorf("alert %d: %w", al.ID, err)
		}
		first := int64(-1) // the first page of someone who may ack
		for _, pg := range al.Pages {
			if !pg.Shadow && (first < 0 || pg.At.Unix() < first) {
				first = pg.At.Unix()
			}
		}
		if first < 0 {
			first = c
		}
		if al.Drill {
			ts.fig.Drills++
			if !al.AckedAt.IsZero() {
				ts.drillAck = append(ts.drillAck, max(al.AckedAt.Unix()-first, 0))
			}
		} else {
			ts.fig.Alerts++
			if !al.AckedAt.IsZero() {
				ts.ack = append(ts.ack, max(al.AckedAt.Unix()-first, 0))
			} else {
				ts.fig.Unacked++
			}
			if !al.ResolvedAt.IsZero() {
				ts.res = append(ts.res, max(al.ResolvedAt.Unix()-c, 0))
			}
			if al.Escalated {
				ts.fig.Escalated++
			}
		}
		for _, pg := range al.Pages {
			if pg.Person == "" {
				continue
			}
			pr := person(pg.Person, al.Team)
			k := pkey{pg.Person, al.Team}
			if al.Drill {
				pr.Drills++
				if al.AckedBy == pg.Person && !al.AckedAt.IsZero() {
					ts.personDrill[pg.Person] = append(ts.personDrill[pg.Person], max(al.AckedAt.Unix()-pg.At.Unix(), 0))
				}
				continue
			}
			pr.Pages++
			if ts.cal.ClassAt(pg.At) != timesheet.Business {
				pr.OutOfHoursPages++
			}
			loc := in.Zones[pg.Person]
			if loc == nil {
				loc = ts.cal.Location()
			}
			if night, ok := sleepNight(pg.At.In(loc), ts.sleepS, ts.sleepE); ok {
				pr.SleepPages++
				if nights[k] == nil {
					nights[k] = map[timesheet.Date]bool{}
				}
				nights[k][night] = true
			}
			if al.AckedBy == pg.Person && !al.AckedAt.IsZero() {
				ts.personAck[pg.Person] = append(ts.personAck[pg.Person], max(al.AckedAt.Unix()-pg.At.Unix(), 0))
			}
		}
	}

	rep := &Report{From: in.From, To: in.To, People: []Person{}, Teams: []TeamFigures{}, Warnings: []Warning{}}
	teamIDs := make([]string, 0, len(teams))
	for id := range teams {
		teamIDs = append(teamIDs, id)
	}
	slices.Sort(teamIDs)
	var buf []timesheet.Piece
	for _, id := range teamIDs {
		ts := teams[id]
		loc := ts.cal.Location()
		// Held time, each person's roles as one (two roles at once are one
		// hour on call), split by class.
		var ppl []string
		for k := range people {
			if k.team == id {
				ppl = append(ppl, k.person)
			}
		}
		slices.Sort(ppl)
		var teamOOH int64
		for _, p := range ppl {
			pr := people[pkey{p, id}]
			var all []span
			for _, sp := range ts.held[p] {
				all = append(all, sp...)
			}
			all = timesheet.Union(all)
			for _, sp := range all {
				buf = ts.cal.Split(time.Unix(sp.S, 0), time.Unix(sp.E, 0), buf[:0])
				for _, pc := range buf {
					pr.OnCall.add(pc.Class, pc.End.Unix()-pc.Start.Unix())
				}
			}
			for _, sp := range timesheet.Subtract(timesheet.Union(ts.shadow[p]), all) {
				pr.ShadowSeconds += sp.E - sp.S
			}
			teamOOH += pr.OnCall.OutOfHours()
			pr.Ack = percentiles(ts.personAck[p])
			pr.DrillAck = percentiles(ts.personDrill[p])
			pr.NightsInterrupted = len(nights[pkey{p, id}])

			// Rest and long stretches, role by role, as `check` judges them.
			roles := make([]string, 0, len(ts.held[p]))
			for r := range ts.held[p] {
				roles = append(roles, r)
			}
			slices.Sort(roles)
			for _, role := range roles {
				turns := joinTurns(timesheet.Union(ts.held[p][role]))
				var prevEnd int64 = -1
				for _, tn := range turns {
					start, end := time.Unix(tn.S, 0).In(loc), time.Unix(tn.E, 0).In(loc)
					if end.After(start.AddDate(0, 0, maxStretchDays)) {
						rep.Warnings = append(rep.Warnings, Warning{Team: id, Person: p, Rule: RuleLongStretch,
							Msg: fmt.Sprintf("%s held %s for %s in a row, %s to %s", p, role, days(wallSpan(start, end)),
								start.Format("2006-01-02 15:04"), end.Format("2006-01-02 15:04"))})
					}
					if !ts.outOfHours(tn, &buf) {
						continue
					}
					if prevEnd >= 0 {
						from := time.Unix(prevEnd, 0).In(loc)
						w := math.Round(wallSpan(from, start).Hours()/24/7*100) / 100
						if pr.Rest == nil || w < pr.Rest.Weeks {
							pr.Rest = &Rest{Role: role, Weeks: w, From: from, Until: start,
								Short: start.Before(from.AddDate(0, 0, MinRest))}
						}
					}
					prevEnd = tn.E
				}
			}
			if pr.Rest != nil && pr.Rest.Short {
				rep.Warnings = append(rep.Warnings, Warning{Team: id, Person: p, Rule: RuleShortRest,
					Msg: fmt.Sprintf("%s had %s off between out-of-hours turns of %s, %s to %s", p,
						days(wallSpan(pr.Rest.From, pr.Rest.Until)), pr.Rest.Role,
						pr.Rest.From.Format("2006-01-02 15:04"), pr.Rest.Until.Format("2006-01-02 15:04"))})
			}
		}

		// Fairness: everyone who held a role or is a member shares the
		// team's out-of-hours time.
		sharing := map[string]bool{}
		for m := range ts.members {
			sharing[m] = true
		}
		var holders []string
		for _, p := range ppl {
			if len(ts.held[p]) > 0 {
				sharing[p] = true
				holders = append(holders, p)
			}
		}
		ts.fig.Sharing = len(sharing)
		ts.fig.OutOfHoursSeconds = teamOOH
		for _, p := range ppl {
			pr := people[pkey{p, id}]
			if !sharing[p] || teamOOH == 0 {
				continue
			}
			pr.EqualShare = round4(1 / float64(len(sharing)))
			pr.OutOfHoursShare = round4(float64(pr.OnCall.OutOfHours()) / float64(teamOOH))
			pr.Fairness = round4(float64(pr.OnCall.OutOfHours()) * float64(len(sharing)) / float64(teamOOH))
		}
		// Members who never held a role get a row too: a share of 0 is
		// the unfairness to everyone else.
		var idle []string
		for m := range ts.members {
			if _, ok := people[pkey{m, id}]; !ok {
				idle = append(idle, m)
			}
		}
		slices.Sort(idle)
		for _, m := range idle {
			pr := person(m, id)
			if teamOOH > 0 {
				pr.EqualShare = round4(1 / float64(len(sharing)))
			}
		}

		// Who took out-of-hours turns: fewer than four over four weeks or
		// more means someone had less than three weeks' rest.
		var oohPeople int
		for _, p := range holders {
			if people[pkey{p, id}].OnCall.OutOfHours() > 0 {
				oohPeople++
			}
		}
		if oohPeople > 0 && oohPeople < minPeople && !in.To.Before(in.From.In(loc).AddDate(0, 0, 28)) {
			rep.Warnings = append(rep.Warnings, Warning{Team: id, Rule: RuleSmallRotation,
				Msg: fmt.Sprintf("only %d people held out-of-hours duty in %s over %s: nobody can get three weeks off between turns", oohPeople, id, days(wallSpan(in.From.In(loc), in.To.In(loc))))})
		}

		ts.fig.Ack = percentiles(ts.ack)
		ts.fig.Resolve = percentiles(ts.res)
		ts.fig.DrillAck = percentiles(ts.drillAck)
	}

	keys := make([]pkey, 0, len(people))
	for k := range people {
		if in.Person == "" || k.person == in.Person {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b pkey) int {
		if c := strings.Compare(a.team, b.team); c != 0 {
			return c
		}
		return strings.Compare(a.person, b.person)
	})
	shown := map[string]bool{}
	for _, k := range keys {
		rep.People = append(rep.People, *people[k])
		shown[k.team] = true
	}
	for _, id := range teamIDs {
		if in.Person == "" || shown[id] {
			rep.Teams = append(rep.Teams, teams[id].fig)
		}
	}
	var ws []Warning
	for _, w := range rep.Warnings {
		if in.Person == "" || w.Person == in.Person || (w.Person == "" && shown[w.Team]) {
			ws = append(ws, w)
		}
	}
	rep.Warnings = append([]Warning{}, ws...)
	return rep, nil
}

// minBreak is the shortest gap between two stretches of a role that makes
// them two turns: a night someone else covers inside your week is not rest.
const minBreak = 24 * 3600

// joinTurns joins sorted, disjoint stretches less than minBreak apart.
func joinTurns(in []span) []span {
	var out []span
	for _, sp := range in {
		if n := len(out); n > 0 && sp.S-out[n-1].E < minBreak {
			out[n-1].E = sp.E
			continue
		}
		out = append(out, sp)
	}
	return out
}

// outOfHours reports whether any of sp is out of hours.
func (ts *teamState) outOfHours(sp span, buf *[]timesheet.Piece) bool {
	*buf = ts.cal.Split(time.Unix(sp.S, 0), time.Unix(sp.E, 0), (*buf)[:0])
	for _, pc := range *buf {
		if pc.Class != timesheet.Business {
			return true
		}
	}
	return false
}

// SleepNight reports whether t, read on the clock of loc, lies in sleep
// hours [start, end) (start after end runs over midnight; both zero: the
// defaults), and the night it belongs to, named by the date on which that
// night's sleep hours begin. The pay report's time off in lieu counts
// nights as the health report does.
func SleepNight(t time.Time, loc *time.Location, start, end time.Duration) (timesheet.Date, bool) {
	if start == 0 && end == 0 {
		start, end = DefaultSleepStart, DefaultSleepEnd
	}
	return sleepNight(t.In(loc), int64(start/time.Second), int64(end/time.Second))
}

// sleepNight reports whether local time t lies in sleep hours [s, e)
// (seconds since local midnight; s > e runs over midnight), and the night
// it belongs to, named by the date on which that night's sleep hours begin.
func sleepNight(t time.Time, s, e int64) (timesheet.Date, bool) {
	tod := int64(t.Hour()*3600 + t.Minute()*60 + t.Second())
	y, m, d := t.Date()
	date := timesheet.Date{Year: y, Month: m, Day: d}
	prev := func() timesheet.Date {
		y, m, d := time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC).Date()
		return timesheet.Date{Year: y, Month: m, Day: d}
	}
	switch {
	case s == e:
		return date, false // no sleep hours
	case s < e:
		return date, s <= tod && tod < e
	case tod >= s:
		return date, true
	case tod < e:
		return prev(), true
	}
	return date, false
}

// percentiles gives the nearest-rank p50 and p90 of secs (sorted in place):
// the smallest value with at least half (nine tenths) of the set at or
// below it.
func percentiles(secs []int64) Durations {
	d := Durations{N: len(secs)}
	if len(secs) == 0 {
		return d
	}
	slices.Sort(secs)
	rank := func(p int) *int64 {
		i := (p*len(secs) + 99) / 100 // ceil(p% of n), 1-based
		v := secs[max(i, 1)-1]
		return &v
	}
	d.P50, d.P90 = rank(50), rank(90)
	return d
}

// wallSpan is b - a as the wall clock in a's zone shows it: Monday 09:00 to
// the next Monday 09:00 is seven days, clock change or not.
func wallSpan(a, b time.Time) time.Duration {
	wall := func(x time.Time) time.Time {
		x = x.In(a.Location())
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), 0, time.UTC)
	}
	return wall(b).Sub(wall(a))
}

func days(d time.Duration) string {
	n := d.Hours() / 24
	switch {
	case n == 1:
		return "1 day"
	case n == math.Trunc(n):
		return fmt.Sprintf("%d days", int(n))
	}
	return fmt.Sprintf("%.1f days", n)
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
