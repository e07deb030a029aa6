// Package rotafile reads the rota directory (YAML files kept in git by team
// leads) into the model the rest of pagerd uses. Every problem it finds is
// reported at once, with file:line:col and, where one helps, a hint.
package rotafile

import (
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/pagerd/pagerd/escalation"
	"github.com/pagerd/pagerd/rotation"
)

// Rota is a whole rota directory: every person and every team.
type Rota struct {
	People map[string]*Person
	Teams  []*Team // sorted by ID
	Files  []File  // the files it was read from, sorted by name
}

// Team returns the team with the given id.
func (r *Rota) Team(id string) (*Team, bool) {
	i := sort.Search(len(r.Teams), func(i int) bool { return r.Teams[i].ID >= id })
	if i < len(r.Teams) && r.Teams[i].ID == id {
		return r.Teams[i], true
	}
	return nil, false
}

// Commander is the team whose on-call are the incident commanders, or nil.
func (r *Rota) Commander() *Team {
	for _, t := range r.Teams {
		if t.Commander {
			return t
		}
	}
	return nil
}

// Person is someone who can be paged.
type Person struct {
	ID       string
	Name     string
	Location *time.Location
	SMS      string // E.164, or ""
	Voice    string // E.164, or ""
	Notify   []NotifyRule
	Pos      Pos
}

// NotifyRule: page by Method this long after being paged, while the page is
// unacknowledged.
type NotifyRule struct {
	Method string // "sms" or "voice"
	After  time.Duration
}

// Team is one team's rota.
type Team struct {
	ID            string
	Name          string
	Location      *time.Location
	BusinessHours BusinessHours
	Holidays      []Holiday
	Schedule      *rotation.Schedule
	Escalation    escalation.Policy
	Routes        []Route
	Pay           *Pay // nil when the file has no pay block
	// Urgency says which severities page at once; nil (no urgency block)
	// makes every alert high urgency.
	Urgency *Urgency
	// SleepStart and SleepEnd are the team's sleep hours for the health
	// report, local time of day in each person's zone (start after end
	// runs over midnight); both zero: 22:00 to 08:00.
	SleepStart, SleepEnd time.Duration
	// Commander: this team's on-call are the incident commanders, paged
	// when an alert of any team is declared a major incident.
	Commander bool
	Pos       Pos // where `team:` is

	rotationPos map[string]Pos
	brokenRoles map[string]bool // declared, but with errors: references to them add no errors
}

// Pos is a position in a rota file.
type Pos struct {
	File      string
	Line, Col int
}

// BusinessHours are the team's working hours; time outside them (and all of
// weekends and holidays) is out of hours.
type BusinessHours struct {
	Days       [7]bool       // indexed by time.Weekday
	Start, End time.Duration // since local midnight
}

// Holiday is a whole local day off for the team.
type Holiday struct {
	Date string // YYYY-MM-DD
	Name string
}

// Urgency is a team's urgency rule: high-urgency alerts page at once, day
// or night; low-urgency ones outside business hours do what OutOfHours
// says (Escalation.Low carries it to the state machine).
type Urgency struct {
	// High lists the severities (critical, error, warning, info) that are
	// high urgency; every other severity is low.
	High []string
	// OutOfHours is what low urgency does outside business hours:
	// "wait" (held until business hours begin, then paged) or "sms"
	// (paged by text only, no calls).
	OutOfHours string
	// AlertmanagerLabel is the Alertmanager label whose value is the
	// alert's severity ("severity" by default).
	AlertmanagerLabel string
}

// Low-urgency behaviours outside business hours.
const (
	LowWait = "wait"
	LowSMS  = "sms"
)

// DefaultSeverityLabel is the Alertmanager label read for severity when a
// team names none.
const DefaultSeverityLabel = "severity"

// IsHigh reports whether severity is high urgency for the team: always,
// when the team has no urgency rule.
func (t *Team) IsHigh(severity string) bool {
	if t.Urgency == nil {
		return true
	}
	return slices.Contains(t.Urgency.High, severity)
}

// Severities are the severities alerts carry, as PagerDuty names them.
var Severities = []string{"critical", "error", "warning", "info"}

// Route tells how an incoming alert finds this team.
type Route struct {
	Name string
	// Severity is what an email route gives its alerts ("" : critical).
	Severity string
	Email    *EmailMatch // patterns that raise (or re-raise) an alert
	Resolve  *EmailMatch // patterns that resolve the matching open alert
	HTTP     *HTTPRoute

	// RequireAuth lists the checks (dkim, spf, dmarc) an email route's mail
	// must pass, for its sender's domain, in the Authentication-Results
	// header that the receiving server AuthServID wrote; every one listed
	// must pass. Empty: any mail matching the patterns is taken.
	RequireAuth []string
	AuthServID  string
	// ResolveAny lets this route's resolve mails close an open alert with
	// the key whoever raised it; by default they close only alerts this
	// route raised, so a forged RECOVERY can't stop the paging of an
	// alert that came in over HTTP.
	ResolveAny bool
}

// AuthMethods are the values of require_auth.
var AuthMethods = []string{"dkim", "spf", "dmarc"}

// EmailMatch holds RE2 patterns; a nil pattern matches anything. Named
// groups `key` and `summary` give the dedup key and the summary.
type EmailMatch struct {
	From, To, Subject, Body *regexp.Regexp
}

// HTTPRoute accepts alerts carrying an integration key whose value is read
// from an environment variable or a file, never from the rota.
type HTTPRoute struct {
	KeyEnv  string
	KeyFile string
}

// Pay holds the team's rates in minor units of Currency (pence, cents).
type Pay struct {
	Currency              string
	StandbyWeekdayOOH     int64 // per hour
	StandbyWeekend        int64
	StandbyHoliday        int64
	EngagedPerHour        int64
	ShadowPerHour         int64
	MinimumCalloutMinutes int
	MaxPerDay             int64 // 0: no cap
	// People holds whole rate sets for people paid differently (a
	// contractor, another country's terms): each replaces the team's.
	People map[string]*Pay
	// TOIL is time off in lieu, the team's for everyone; nil: none.
	TOIL *TOIL
}

// TOIL is time off in lieu, earned in hours, not money.
type TOIL struct {
	// HolidayEngagedPercent: each hour engaged on a holiday earns this
	// many hundredths of an hour off (150: 1.5 hours).
	HolidayEngagedPercent int64
	// SleepNight: each night with a sleep-hours interruption earns a late
	// start of this long.
	SleepNight time.Duration
}
