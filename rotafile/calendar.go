package rotafile

import (
	"time"

	"github.com/pagerd/pagerd/timesheet"
)

// Calendar is the team's working calendar as the pay classes read it: its
// zone, business hours and holidays.
func (t *Team) Calendar() timesheet.Calendar {
	c := timesheet.Calendar{Location: t.Location, Days: t.BusinessHours.Days, Start: t.BusinessHours.Start, End: t.BusinessHours.End}
	for _, h := range t.Holidays {
		c.Holidays = append(c.Holidays, h.Date)
	}
	return c
}

// Rates maps the pay block to what timesheet prices with, using the
// person's own rates where the rota gives them. A nil Pay (a team without a
// pay block) gives zero rates: time still counts, it pays nothing.
func (p *Pay) Rates(person string) timesheet.Rates {
	if p == nil {
		return timesheet.Rates{}
	}
	if o, ok := p.People[person]; ok {
		p = o
	}
	return timesheet.Rates{
		Currency: p.Currency,
		Standby: map[timesheet.Class]int64{
			timesheet.WeekdayOutOfHours: p.StandbyWeekdayOOH,
			timesheet.Weekend:           p.StandbyWeekend,
			timesheet.Holiday:           p.StandbyHoliday,
		},
		Shadow:         p.ShadowPerHour,
		Engaged:        p.EngagedPerHour,
		MinimumCallout: time.Duration(p.MinimumCalloutMinutes) * time.Minute,
		MaxPerDay:      p.MaxPerDay,
	}
}
