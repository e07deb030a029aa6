package timesheet

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// TOIL is the kind of a time-off-in-lieu line: hours owed, not money.
const TOIL Kind = "toil"

// The classes of TOIL lines: what earned it.
const (
	TOILHolidayEngaged    Class = "holiday_engaged"    // engaged time on a holiday, times a factor
	TOILSleepInterruption Class = "sleep_interruption" // a late start per night interrupted
	TOILCorrection        Class = "correction"         // corrections, added or taken away
)

// TOILRules are one team's time off in lieu.
type TOILRules struct {
	// HolidayEngagedPercent: each hour engaged on a holiday earns this
	// many hundredths of an hour off (150 is 1.5 hours).
	HolidayEngagedPercent int64
	// SleepNight: each night with a sleep-hours interruption earns this.
	SleepNight time.Duration
}

// Night is a person's night with a sleep-hours interruption in a team, at
// instant At (the first interruption): the caller decides what a night
// and sleep hours are (the health package does).
type Night struct {
	Person, Team string
	Date         Date
	At           time.Time
}

// TOILAdjustment is a correction of a person's TOIL in a team, counted in
// the report whose [from, to) holds At; Seconds may be negative.
type TOILAdjustment struct {
	Person, Team string
	At           time.Time
	Seconds      int64
}

// TOILReport is the time off in lieu earned in [from, to), one line per
// person, team and class with any: Kind TOIL, Seconds owed (negative for a
// correction that takes time away), no Rate, Amount or Currency.
//
//   - holiday_engaged: the union of the person's engagements in the team,
//     cut to [from, to), split by the team's calendar; its holiday seconds
//     times HolidayEngagedPercent / 100, rounded half up. The minimum
//     callout is pay, not time worked, and earns none.
//   - sleep_interruption: SleepNight for each distinct night (person,
//     team, date) whose first interruption (of those given: give the
//     day before from too) lies in [from, to).
//   - correction: the sum of the adjustments whose At lies in [from, to).
//
// rules is called once per (team, person) that appears; a zero TOILRules
// earns nothing (corrections still count). Lines are sorted by person,
// team, then class in the order above.
func TOILReport(from, to time.Time, cals map[string]Calendar, rules func(team, person string) TOILRules, engs []Engagement, nights []Night, adjs []TOILAdjustment) ([]Line, error) {
	lo, hi := from.Unix(), to.Unix()
	if hi < lo {
		return nil, fmt.Errorf("report ends (%v) before it starts (%v)", to, from)
	}
	type key struct{ person, team string }
	type acc struct {
		engaged []Span
		nights  map[Date]bool
		adjust  int64
	}
	groups := map[key]*acc{}
	get := func(p, t string) *acc {
		k := key{p, t}
		if groups[k] == nil {
			groups[k] = &acc{nights: map[Date]bool{}}
		}
		return groups[k]
	}
	for i, e := range engs {
		if e.Person == "" || e.Team == "" {
			return nil, fmt.Errorf("engagement %d has no person or team", i)
		}
		a, b := max(e.Start.Unix(), lo), min(e.End.Unix(), hi)
		if a < b {
			get(e.Person, e.Team).engaged = append(get(e.Person, e.Team).engaged, Span{a, b})
		}
	}
	// A night counts in the report that holds its first interruption, so
	// one spanning two reports counts once.
	type nightKey struct {
		person, team string
		date         Date
	}
	first := map[nightKey]int64{}
	for _, n := range nights {
		k, at := nightKey{n.Person, n.Team, n.Date}, n.At.Unix()
		if f, ok := first[k]; !ok || at < f {
			first[k] = at
		}
	}
	for k, at := range first {
		if lo <= at && at < hi {
			get(k.person, k.team).nights[k.date] = true
		}
	}
	for _, a := range adjs {
		if at := a.At.Unix(); lo <= at && at < hi {
			get(a.Person, a.Team).adjust += a.Seconds
		}
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := strings.Compare(x.person, y.person); c != 0 {
			return c
		}
		return strings.Compare(x.team, y.team)
	})
	compiled := map[string]*calendar{}
	var lines []Line
	var buf []Piece
	for _, k := range keys {
		g := groups[k]
		var r TOILRules
		if rules != nil {
			r = rules(k.team, k.person)
		}
		if r.HolidayEngagedPercent < 0 || r.SleepNight < 0 {
			return nil, fmt.Errorf("TOIL rules of %s in team %s are negative", k.person, k.team)
		}
		line := func(c Class, sec int64) {
			if sec != 0 {
				lines = append(lines, Line{Person: k.person, Team: k.team, Kind: TOIL, Class: c, Seconds: sec})
			}
		}
		if r.HolidayEngagedPercent > 0 && len(g.engaged) > 0 {
			cal := compiled[k.team]
			if cal == nil {
				c, ok := cals[k.team]
				if !ok {
					return nil, fmt.Errorf("team %q has no calendar", k.team)
				}
				var err error
				if cal, err = c.compile(); err != nil {
					return nil, fmt.Errorf("team %q: %v", k.team, err)
				}
				compiled[k.team] = cal
			}
			var holiday int64
			for _, sp := range Union(g.engaged) {
				buf = cal.split(time.Unix(sp.S, 0), time.Unix(sp.E, 0), buf[:0])
				for _, pc := range buf {
					if pc.Class == Holiday {
						holiday += pc.End.Unix() - pc.Start.Unix()
					}
				}
			}
			line(TOILHolidayEngaged, (holiday*r.HolidayEngagedPercent+50)/100)
		}
		line(TOILSleepInterruption, int64(len(g.nights))*int64(r.SleepNight/time.Second))
		line(TOILCorrection, g.adjust)
	}
	return lines, nil
}
