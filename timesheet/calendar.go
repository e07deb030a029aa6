package timesheet

import (
	"errors"
	"fmt"
	"time"

	"github.com/pagerd/pagerd/instant"
	"github.com/pagerd/pagerd/rotation"
)

// Class is a pay class of time. The values are the keys of the rota's
// standby_per_hour block, plus "business", so they can go straight into a
// report.
type Class string

const (
	Business          Class = "business"             // inside business hours on a business day
	WeekdayOutOfHours Class = "weekday_out_of_hours" // the rest of a business day
	Weekend           Class = "weekend"              // all of a day that is not a business day
	Holiday           Class = "holiday"              // all of a listed holiday
)

// numClasses sizes the per-class arrays; classIndex and classByIndex give the
// report order.
const numClasses = 4

func classByIndex(i int) Class {
	switch i {
	case 0:
		return Business
	case 1:
		return WeekdayOutOfHours
	case 2:
		return Weekend
	default:
		return Holiday
	}
}

func classIndex(c Class) (int, bool) {
	switch c {
	case Business:
		return 0, true
	case WeekdayOutOfHours:
		return 1, true
	case Weekend:
		return 2, true
	case Holiday:
		return 3, true
	}
	return 0, false
}

// Date is a civil date (a local day in some zone). It is comparable, so it
// can key a map.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD, the rota's holiday format.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a YYYY-MM-DD date", s)
	}
	y, m, d := t.Date()
	return Date{y, m, d}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Calendar is one team's working calendar: what the rota's timezone,
// business_hours and holidays say.
//
// A day is classed by its local date in Location:
//   - a listed holiday is Holiday all day, even when it falls on a weekend
//     (holiday is the dearer class and the list is explicit);
//   - any other day that is not one of Days is Weekend all day: a team that
//     works Monday to Thursday has a three-day "weekend";
//   - a business day is Business over [Start, End) local and
//     WeekdayOutOfHours before and after.
//
// Day and business-hours boundaries are local wall times turned into
// instants the RFC 5545 way (rotation.ResolveWall, as handoffs are): a wall
// time in a DST gap is read with the offset before the gap, a repeated one is
// its first occurrence. A boundary that would resolve before the one
// preceding it (only possible around a gap) is moved up to it, so that span
// is empty. Pieces measure real elapsed time: London's spring-forward night is
// an hour shorter, its fall-back night an hour longer.
type Calendar struct {
	Location   *time.Location
	Days       [7]bool       // business days, indexed by time.Weekday
	Start, End time.Duration // business hours since local midnight: 0 <= Start <= End <= 24h, whole seconds
	Holidays   []string      // YYYY-MM-DD, as rota.Holiday.Date; repeats are harmless
}

// Piece is a stretch of time of one class, within one local day.
type Piece struct {
	Class      Class
	Day        Date // the local day it lies in
	Start, End time.Time
}

// Split tiles [from, to) with pieces, in order, cut at every local midnight
// and at the business-hours start and end of business days. Adjacent pieces
// of one class within one day are merged. The pieces' times are in the
// calendar's Location. An empty or inverted interval gives no pieces.
func (c Calendar) Split(from, to time.Time) ([]Piece, error) {
	cal, err := c.compile()
	if err != nil {
		return nil, err
	}
	return cal.split(from, to, nil), nil
}

// calendar is a checked Calendar with its holidays in a set, built once per
// report rather than per interval.
type calendar struct {
	loc        *time.Location
	days       [7]bool
	start, end time.Duration
	holidays   map[Date]bool
}

func (c Calendar) compile() (*calendar, error) {
	if c.Location == nil {
		// No silent UTC: a missing zone would misclass every hour.
		return nil, errors.New("calendar has no location")
	}
	if c.Start < 0 || c.End < c.Start || c.End > 24*time.Hour {
		return nil, fmt.Errorf("business hours %v-%v: want 0 <= start <= end <= 24h", c.Start, c.End)
	}
	if c.Start%time.Second != 0 || c.End%time.Second != 0 {
		// Reports count whole seconds; a fractional boundary would break that.
		return nil, fmt.Errorf("business hours %v-%v are not whole seconds", c.Start, c.End)
	}
	cal := &calendar{loc: c.Location, days: c.Days, start: c.Start, end: c.End, holidays: make(map[Date]bool, len(c.Holidays))}
	for _, s := range c.Holidays {
		d, err := ParseDate(s)
		if err != nil {
			return nil, fmt.Errorf("holiday: %v", err)
		}
		cal.holidays[d] = true
	}
	return cal, nil
}

// wall is the instant of local wall time off after midnight of civil day
// (a UTC midnight standing for the date). 24h gives the next midnight.
func (c *calendar) wall(day time.Time, off time.Duration) time.Time {
	return rotation.ResolveWall(day.Add(off), c.loc)
}

// split appends the pieces of [from, to) to out.
func (c *calendar) split(from, to time.Time, out []Piece) []Piece {
	if !from.Before(to) {
		return out
	}
	y, m, d := from.In(c.loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	start := c.wall(day, 0)
	// A midnight in a gap (or a skipped day, as Samoa's in 2011) resolves
	// late; step back until the day surely starts at or before from.
	for start.After(from) {
		day = day.AddDate(0, 0, -1)
		start = c.wall(day, 0)
	}
	for start.Before(to) {
		next := day.AddDate(0, 0, 1)
		end := instant.Later(c.wall(next, 0), start)
		date := Date{day.Year(), day.Month(), day.Day()}
		switch {
		case c.holidays[date]:
			out = c.emit(out, Holiday, date, start, end, from, to)
		case !c.days[day.Weekday()]:
			out = c.emit(out, Weekend, date, start, end, from, to)
		default:
			bs := instant.Clamp(c.wall(day, c.start), start, end)
			be := instant.Clamp(c.wall(day, c.end), bs, end)
			out = c.emit(out, WeekdayOutOfHours, date, start, bs, from, to)
			out = c.emit(out, Business, date, bs, be, from, to)
			out = c.emit(out, WeekdayOutOfHours, date, be, end, from, to)
		}
		day, start = next, end
	}
	return out
}

// emit appends [a, b) cut to [from, to), merging it into the previous piece
// when that one is of the same class and day and ends where it starts (as
// with empty business hours).
func (c *calendar) emit(out []Piece, cl Class, day Date, a, b, from, to time.Time) []Piece {
	a, b = instant.Later(a, from), instant.Earlier(b, to)
	if !a.Before(b) {
		return out
	}
	if n := len(out); n > 0 && out[n-1].Class == cl && out[n-1].Day == day && out[n-1].End.Equal(a) {
		out[n-1].End = b.In(c.loc)
		return out
	}
	return append(out, Piece{Class: cl, Day: day, Start: a.In(c.loc), End: b.In(c.loc)})
}

// maxLookahead bounds how far Open looks for the next business hours: a
// calendar with none in a year (no business days, or every one a holiday)
// has none worth waiting for.
const maxLookahead = 400

// Open reports whether t lies within business hours (the Business class
// of Split), and when it does not, the instant business hours next begin,
// in the calendar's Location: zero if none begin within about a year.
// Boundaries are resolved as Split resolves them, so across a DST change
// the next start is the local wall time, not a fixed number of hours on.
func (c Calendar) Open(t time.Time) (open bool, next time.Time, err error) {
	cal, err := c.compile()
	if err != nil {
		return false, time.Time{}, err
	}
	open, next = cal.open(t)
	return open, next, nil
}

func (c *calendar) open(t time.Time) (bool, time.Time) {
	y, m, d := t.In(c.loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	// As in split: a day whose midnight resolves after t (a gap) starts
	// the day before.
	for c.wall(day, 0).After(t) {
		day = day.AddDate(0, 0, -1)
	}
	for i := 0; i < maxLookahead; i, day = i+1, day.AddDate(0, 0, 1) {
		date := Date{day.Year(), day.Month(), day.Day()}
		if c.holidays[date] || !c.days[day.Weekday()] {
			continue
		}
		start := c.wall(day, 0)
		end := instant.Later(c.wall(day.AddDate(0, 0, 1), 0), start)
		bs := instant.Clamp(c.wall(day, c.start), start, end)
		be := instant.Clamp(c.wall(day, c.end), bs, end)
		if !bs.Before(be) {
			continue // empty business hours that day
		}
		if !t.Before(bs) && t.Before(be) {
			return true, time.Time{}
		}
		if bs.After(t) {
			return false, bs.In(c.loc)
		}
	}
	return false, time.Time{}
}

// Compiled is a Calendar checked once, for a caller that classes many
// intervals or instants (the health report): Split compiles on every call.
type Compiled struct{ c *calendar }

// Compile checks the calendar as Split does.
func (c Calendar) Compile() (Compiled, error) {
	cal, err := c.compile()
	if err != nil {
		return Compiled{}, err
	}
	return Compiled{cal}, nil
}

// Location is the calendar's zone.
func (c Compiled) Location() *time.Location { return c.c.loc }

// Split appends the pieces of [from, to) to out, as Calendar.Split.
func (c Compiled) Split(from, to time.Time, out []Piece) []Piece { return c.c.split(from, to, out) }

// ClassAt is the class of the second starting at t.
func (c Compiled) ClassAt(t time.Time) Class {
	var buf [3]Piece
	p := c.c.split(t, t.Add(time.Second), buf[:0])
	if len(p) == 0 {
		return Business // unreachable: a one-second interval always has a piece
	}
	return p[0].Class
}
