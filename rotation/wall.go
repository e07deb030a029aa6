package rotation

import "time"

// zoneSlack bounds how far a wall-clock reading can sit from the same
// fields read as UTC: real UTC offsets stay within about ±16h (LMT
// included), so 48h is a safe margin.
const zoneSlack = 48 * time.Hour

// ResolveWall turns the wall-clock fields of w (Year through Nanosecond, as
// shown in w's own location, which is otherwise ignored) into an instant in
// loc, following RFC 5545 §3.3.5:
//
//   - a wall time that does not exist because clocks jumped forward (a DST
//     gap) is read with the UTC offset in force before the gap, so it lands
//     as far after the gap as it was into it: 01:30 on London's
//     spring-forward day is 01:30 GMT, shown as 02:30 BST;
//   - a wall time that occurs twice because clocks went back is its first
//     occurrence: 01:30 on London's fall-back day is 01:30 BST.
//
// time.Date leaves both choices unspecified, so it is not relied on.
func ResolveWall(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	hh, mm, ss := w.Clock()
	ns := w.Nanosecond()
	u := time.Date(y, mo, d, hh, mm, ss, ns, time.UTC) // the fields, read as if UTC
	a := time.Date(y, mo, d, hh, mm, ss, ns, loc)
	if _, off := a.Zone(); a.Unix()+int64(off) == u.Unix() {
		// a is a true reading of the fields; an earlier one can only come
		// from a zone that ended shortly before a.
		if zs, _ := a.ZoneBounds(); zs.IsZero() || a.Sub(zs) >= zoneSlack {
			return a
		}
	}
	return resolveNearTransition(u, a, loc)
}

// resolveNearTransition is ResolveWall's slow path, for fields near a zone
// transition: it lists the zones around the reading and picks by rule.
func resolveNearTransition(u, fallback time.Time, loc *time.Location) time.Time {
	type zone struct {
		start, end time.Time // zero means unbounded
		off        int
	}
	var zones []zone
	limit := u.Add(zoneSlack)
	for p := u.Add(-zoneSlack).In(loc); ; {
		zs, ze := p.ZoneBounds()
		_, off := p.Zone()
		zones = append(zones, zone{zs, ze, off})
		if ze.IsZero() || ze.After(limit) {
			break
		}
		p = ze
	}
	reading := func(z zone) time.Time { return u.Add(-time.Duration(z.off) * time.Second) }

	// Valid readings grow with the zone order, so the first is the earliest.
	for _, z := range zones {
		c := reading(z)
		if (z.start.IsZero() || !c.Before(z.start)) && (z.end.IsZero() || c.Before(z.end)) {
			return c.In(loc)
		}
	}
	// No valid reading: the fields fall in a gap. The zone before the gap is
	// the last one whose reading falls past its own end.
	for i := len(zones) - 1; i >= 0; i-- {
		if z := zones[i]; !z.end.IsZero() && !reading(z).Before(z.end) {
			return reading(z).In(loc)
		}
	}
	return fallback
}
