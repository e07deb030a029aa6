package timesheet

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is what time is paid as.
type Kind string

const (
	Standby       Kind = "standby" // holding a role
	Shadow        Kind = "shadow"  // shadowing a role, while holding none in that team
	Engaged       Kind = "engaged" // working a page
	CapAdjustment Kind = "cap"     // the deduction that brings a person's days down to Rates.MaxPerDay
)

// numKinds counts the timed kinds (all but CapAdjustment), in report order.
const numKinds = 3

func kindByIndex(i int) Kind {
	switch i {
	case 0:
		return Standby
	case 1:
		return Shadow
	default:
		return Engaged
	}
}

// maxRate bounds every rate so that exact sums of rate × seconds stay well
// inside 128 bits: 10^12 minor units is ten billion pounds an hour.
const maxRate = 1_000_000_000_000

// NoCurrency is ISO 4217's code for "no currency": the currency of a team
// without rates, so every report row still names an ISO 4217 code.
const NoCurrency = "XXX"

// Rates are what one person is paid in one team. A caller builds them from
// the team's pay block and applies any per-person override before handing
// them over; a team without a pay block has zero Rates (minutes still count).
// Amounts are minor units of Currency (pence, cents), between 0 and 10^12.
type Rates struct {
	Currency string

	// Standby is paid per hour of holding a role, by class. A missing class
	// pays 0; the rota has no business-hours rate, but one may be set here.
	Standby map[Class]int64

	// Shadow is paid per hour of shadowing, Engaged per hour of working a
	// page, both out of hours only (every class but Business): in business
	// hours both are ordinary work.
	Shadow  int64
	Engaged int64

	// MinimumCallout is the least engaged time paid for one out-of-hours
	// callout (whole seconds; a fraction is dropped). See Report.
	MinimumCallout time.Duration

	// MaxPerDay caps what one person is paid in this team for one local day,
	// over all kinds. 0: no cap.
	MaxPerDay int64

	// StandbyPerRole pays each role held separately: two roles at once count
	// twice. By default they count once.
	StandbyPerRole bool
}

// priced is Rates checked and laid out for lookup by kind and class index.
type priced struct {
	currency string
	rate     [numKinds][numClasses]int64
	minSec   int64
	cap      int64
	perRole  bool
}

func (r Rates) compile() (priced, error) {
	p := priced{currency: r.Currency, cap: r.MaxPerDay, perRole: r.StandbyPerRole}
	some := false
	check := func(what string, v int64) error {
		if v < 0 || v > maxRate {
			return fmt.Errorf("%s %d: want 0 to %d minor units", what, v, int64(maxRate))
		}
		some = some || v != 0
		return nil
	}
	for c, v := range r.Standby {
		i, ok := classIndex(c)
		if !ok {
			return p, fmt.Errorf("standby rate for unknown class %q", c)
		}
		if err := check("standby rate", v); err != nil {
			return p, err
		}
		p.rate[0][i] = v
	}
	if err := check("shadow rate", r.Shadow); err != nil {
		return p, err
	}
	if err := check("engaged rate", r.Engaged); err != nil {
		return p, err
	}
	if r.MaxPerDay < 0 {
		return p, fmt.Errorf("max per day %d is negative", r.MaxPerDay)
	}
	if r.MinimumCallout < 0 {
		return p, fmt.Errorf("minimum callout %v is negative", r.MinimumCallout)
	}
	if some && r.Currency == "" {
		// An amount without a currency can't go on a payslip.
		return p, errors.New("rates have amounts but no currency")
	}
	for i := 1; i < numClasses; i++ { // all but Business
		p.rate[1][i], p.rate[2][i] = r.Shadow, r.Engaged
	}
	p.minSec = int64(r.MinimumCallout / time.Second)
	return p, nil
}

// Segment is a person holding (or, with Shadow, shadowing) a role of a team
// over [Start, End): a ledger entry.
type Segment struct {
	Person, Team, Role string
	Start, End         time.Time
	Shadow             bool
}

// Engagement is time a person spent on a page of a team's alert over
// [Start, End); the caller decides what that is (page -> resolve, or
// ack -> resolve).
type Engagement struct {
	Person, Team string
	AlertID      int64
	Start, End   time.Time
}

// Line is one row of a report: a person's time of one kind and class in one
// team, and what it pays.
type Line struct {
	Person, Team string
	Kind         Kind
	Class        Class // "" for CapAdjustment
	Seconds      int64 // paid time, TopUpSeconds included; 0 for CapAdjustment
	TopUpSeconds int64 // Engaged only: the part of Seconds added by the minimum callout
	Rate         int64 // per hour, as applied; 0 for CapAdjustment
	Amount       int64 // minor units; round-half-up(Rate*Seconds/3600), or the (negative) cap adjustment
	Currency     string
}

// Minutes is Seconds in whole minutes, rounded half up: what payroll sees.
// Amount is priced from Seconds, not from Minutes.
func (l Line) Minutes() int64 {
	if l.Seconds < 0 { // a TOIL correction: half away from zero, as for time owed
		return -((-l.Seconds + 30) / 60)
	}
	return (l.Seconds + 30) / 60
}

// Records lays lines out for encoding/csv: a header, then one row per line
// (person, team, kind, class, minutes, amount, currency), amounts as
// decimals with two places; a TOIL line has no amount or currency.
func Records(lines []Line) [][]string {
	out := make([][]string, 0, len(lines)+1)
	out = append(out, []string{"person", "team", "kind", "class", "minutes", "amount", "currency"})
	for _, l := range lines {
		amount, currency := FormatAmount(l.Amount), l.Currency
		if l.Kind == TOIL {
			amount, currency = "", "" // hours off, not money
		}
		out = append(out, []string{l.Person, l.Team, string(l.Kind), string(l.Class),
			strconv.FormatInt(l.Minutes(), 10), amount, currency})
	}
	return out
}

// Span is [S, E) in Unix seconds: reports count whole seconds.
type Span struct{ S, E int64 }

// Report prices the segments and engagements that fall in [from, to).
//
// All instants (from, to and every Start and End) are first truncated to
// whole seconds. cals gives each team's calendar, and every team named by a
// segment or engagement must have one. rates gives each (team, person)'s
// rates; it is called once per pair that appears, in person-then-team order;
// nil means zero rates everywhere.
//
// Per person and team:
//
//   - Standby time is the union of the person's non-shadow segments cut to
//     [from, to): two roles at once count once, unless StandbyPerRole.
//   - Shadow time is the union of their shadow segments, cut to [from, to),
//     less their standby time: an hour spent both holding and shadowing a
//     role is paid once, as standby.
//   - Engaged time is the union of their engagements cut to [from, to).
//     Engagements that overlap or touch form one callout (a second page
//     while already working is not a second callout); a zero-length
//     engagement (an alert resolved without an ack) is a callout at its
//     instant. A callout that starts or runs out of hours is paid at
//     least MinimumCallout of it: the shortfall (measured over the whole
//     callout, not just the part in [from, to), so adjacent reports add up)
//     is added as top-up time of the class and day of the callout's first
//     out-of-hours instant, in the report whose [from, to) holds that instant.
//     Business-hours engaged time is listed, at rate 0, and never triggers a
//     minimum.
//   - Each kind's time is split by the team's calendar, summed per class
//     over the whole report, and priced once per line:
//     Amount = round-half-up(rate × seconds / 3600), exactly in integers, so
//     a line's time and amount always agree.
//   - With MaxPerDay, each local day's exact total (all kinds, before
//     rounding) is capped; if any day is over, a CapAdjustment line brings
//     the person's total for the team down to round-half-up(sum of the
//     capped days), and never raises it. The priced lines stay unchanged, so
//     their minutes and amounts still agree, and the deduction is visible.
//     A day cut by from or to is capped on its part in the report: align
//     reports with local midnights.
//
// People in several teams are paid by each team separately (each has its own
// rates, currency and cap). Lines with no time are left out. Lines are sorted
// by person, team, then kind (standby, shadow, engaged, cap) and class
// (business, weekday_out_of_hours, weekend, holiday).
func Report(from, to time.Time, cals map[string]Calendar, rates func(team, person string) Rates, segs []Segment, engs []Engagement) ([]Line, error) {
	lo, hi := from.Unix(), to.Unix()
	if hi < lo {
		return nil, fmt.Errorf("report ends (%v) before it starts (%v)", to, from)
	}
	compiled := map[string]*calendar{}
	calFor := func(team string) error {
		if _, ok := compiled[team]; ok {
			return nil
		}
		c, ok := cals[team]
		if !ok {
			return fmt.Errorf("team %q has no calendar", team)
		}
		cal, err := c.compile()
		if err != nil {
			return fmt.Errorf("team %q: %v", team, err)
		}
		compiled[team] = cal
		return nil
	}

	type key struct{ person, team string }
	type group struct {
		standby map[string][]Span // by role
		shadow  []Span
		engaged []Span
	}
	groups := map[key]*group{}
	get := func(person, team string) *group {
		k := key{person, team}
		g := groups[k]
		if g == nil {
			g = &group{standby: map[string][]Span{}}
			groups[k] = g
		}
		return g
	}
	for i, s := range segs {
		if s.Person == "" || s.Team == "" {
			return nil, fmt.Errorf("segment %d has no person or team", i)
		}
		if err := calFor(s.Team); err != nil {
			return nil, fmt.Errorf("segment %d: %v", i, err)
		}
		a, b := s.Start.Unix(), s.End.Unix()
		if b < a {
			return nil, fmt.Errorf("segment %d (%s, %s) ends before it starts", i, s.Person, s.Team)
		}
		if a, b = max(a, lo), min(b, hi); a >= b {
			continue
		}
		g := get(s.Person, s.Team)
		if s.Shadow {
			g.shadow = append(g.shadow, Span{a, b})
		} else {
			g.standby[s.Role] = append(g.standby[s.Role], Span{a, b})
		}
	}
	for i, e := range engs {
		if e.Person == "" || e.Team == "" {
			return nil, fmt.Errorf("engagement %d has no person or team", i)
		}
		if err := calFor(e.Team); err != nil {
			return nil, fmt.Errorf("engagement %d: %v", i, err)
		}
		a, b := e.Start.Unix(), e.End.Unix()
		if b < a {
			return nil, fmt.Errorf("engagement %d (alert %d, %s) ends before it starts", i, e.AlertID, e.Person)
		}
		// Not cut to [from, to) yet: the minimum callout needs the whole
		// callout. A zero-length engagement (resolved without an ack) is a
		// callout too.
		g := get(e.Person, e.Team)
		g.engaged = append(g.engaged, Span{a, b})
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

	var lines []Line
	var buf []Piece // reused by every split
	for _, k := range keys {
		g, cal := groups[k], compiled[k.team]
		var r Rates
		if rates != nil {
			r = rates(k.team, k.person)
		}
		p, err := r.compile()
		if err != nil {
			return nil, fmt.Errorf("rates of %s in team %s: %v", k.person, k.team, err)
		}

		var secs [numKinds][numClasses]int64
		var topUp [numClasses]int64
		var days map[Date]u128 // exact rate × seconds per local day, for the cap
		if p.cap > 0 {
			days = map[Date]u128{}
		}
		add := func(kind, class int, day Date, sec int64) {
			secs[kind][class] += sec
			if days != nil {
				days[day] = days[day].add(mul(uint64(p.rate[kind][class]), uint64(sec)))
			}
		}
		addSpans := func(kind int, spans []Span) {
			for _, sp := range spans {
				buf = cal.split(time.Unix(sp.S, 0), time.Unix(sp.E, 0), buf[:0])
				for _, pc := range buf {
					ci, _ := classIndex(pc.Class)
					add(kind, ci, pc.Day, pc.End.Unix()-pc.Start.Unix())
				}
			}
		}

		var all []Span
		roles := make([]string, 0, len(g.standby))
		for role := range g.standby {
			roles = append(roles, role)
		}
		slices.Sort(roles)
		for _, role := range roles {
			u := Union(g.standby[role])
			if p.perRole {
				addSpans(0, u)
			}
			all = append(all, u...)
		}
		all = Union(all)
		if !p.perRole {
			addSpans(0, all)
		}
		addSpans(1, Subtract(Union(g.shadow), all))

		for _, c := range Union(g.engaged) {
			// An instant's class is that of the second starting at it.
			end := max(c.E, c.S+1)
			buf = cal.split(time.Unix(c.S, 0), time.Unix(end, 0), buf[:0])
			var ooh int64
			first := -1 // index in buf of the first out-of-hours piece
			for i, pc := range buf {
				ci, _ := classIndex(pc.Class)
				pe := min(pc.End.Unix(), c.E) // the probe second is no time worked
				if pc.Class != Business {
					ooh += max(pe-pc.Start.Unix(), 0)
					if first < 0 {
						first = i
					}
				}
				if a, b := max(pc.Start.Unix(), lo), min(pe, hi); a < b {
					add(2, ci, pc.Day, b-a)
				}
			}
			if first >= 0 && ooh < p.minSec {
				if at := buf[first].Start.Unix(); lo <= at && at < hi {
					ci, _ := classIndex(buf[first].Class)
					add(2, ci, buf[first].Day, p.minSec-ooh)
					topUp[ci] += p.minSec - ooh
				}
			}
		}

		var total int64
		for kind := range numKinds {
			for class := range numClasses {
				sec := secs[kind][class]
				if sec == 0 {
					continue
				}
				rate := p.rate[kind][class]
				amt, ok := price(rate, sec)
				if !ok || total > 1<<63-1-amt {
					return nil, fmt.Errorf("pay of %s in team %s overflows", k.person, k.team)
				}
				total += amt
				l := Line{Person: k.person, Team: k.team, Kind: kindByIndex(kind), Class: classByIndex(class),
					Seconds: sec, Rate: rate, Amount: amt, Currency: p.currency}
				if kind == 2 {
					l.TopUpSeconds = topUp[class]
				}
				lines = append(lines, l)
			}
		}
		if days != nil {
			limit := mul(uint64(p.cap), 3600)
			var capped u128
			over := false
			for _, v := range days { // a sum: order doesn't matter
				if limit.less(v) {
					over, v = true, limit
				}
				capped = capped.add(v)
			}
			if over {
				paid, ok := capped.divHalfUp(3600)
				if !ok {
					return nil, fmt.Errorf("pay of %s in team %s overflows", k.person, k.team)
				}
				lines = append(lines, Line{Person: k.person, Team: k.team, Kind: CapAdjustment,
					Amount: min(paid-total, 0), Currency: p.currency})
			}
		}
	}
	return lines, nil
}

// Union sorts spans (in place) and merges those that overlap or touch.
func Union(in []Span) []Span {
	if len(in) < 2 {
		return in
	}
	slices.SortFunc(in, func(x, y Span) int {
		switch {
		case x.S < y.S:
			return -1
		case x.S > y.S:
			return 1
		}
		return 0
	})
	out := in[:1]
	for _, sp := range in[1:] {
		if last := &out[len(out)-1]; sp.S <= last.E {
			last.E = max(last.E, sp.E)
		} else {
			out = append(out, sp)
		}
	}
	return out
}

// Subtract is a less b; both sorted and disjoint, as Union leaves them.
func Subtract(a, b []Span) []Span {
	var out []Span
	j := 0
	for _, sp := range a {
		s := sp.S
		for j < len(b) && b[j].E <= s {
			j++
		}
		for k := j; k < len(b) && b[k].S < sp.E; k++ {
			if b[k].S > s {
				out = append(out, Span{s, b[k].S})
			}
			s = max(s, b[k].E)
		}
		if s < sp.E {
			out = append(out, Span{s, sp.E})
		}
	}
	return out
}
