// Package timefmt is how pagerd writes instants: one format for machines
// and one for people, so every JSON field, CSV cell and table agrees.
//
// Machines read RFC 3339 in UTC with exactly three fraction digits
// ("2026-11-24T18:00:00.000Z"): a fixed width sorts as text, and parsers
// that accept only millisecond precision (or reject nine digits) read it.
// Go's time.RFC3339Nano drops trailing zeros, so its width varies.
//
// People read a date, a time and the zone abbreviation
// ("2026-11-24 18:00 GMT"), in the reader's zone where it is known (the
// team's for rota commands, the local one for the CLI).
//
// The package is pure: it never reads the clock.
package timefmt

import (
	"bytes"
	"fmt"
	"time"
)

// MachineLayout is the layout of Machine: RFC 3339, milliseconds, UTC.
const MachineLayout = "2006-01-02T15:04:05.000Z07:00"

// Machine formats t for software: UTC, RFC 3339, milliseconds.
func Machine(t time.Time) string { return t.UTC().Format(MachineLayout) }

// People formats t for a person in loc (UTC if nil): date, hours and
// minutes, zone abbreviation.
func People(t time.Time, loc *time.Location) string {
	return in(t, loc).Format("2006-01-02 15:04 MST")
}

// PeopleSeconds is People with seconds, for timelines where events come
// seconds apart.
func PeopleSeconds(t time.Time, loc *time.Location) string {
	return in(t, loc).Format("2006-01-02 15:04:05 MST")
}

func in(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc)
}

// Time is an instant that encodes to JSON in the Machine format. The zero
// Time encodes as null (with omitzero it is left out), and null decodes
// to the zero Time. It decodes any RFC 3339 time.
type Time struct{ time.Time }

// Of wraps t; the zero time.Time gives the zero Time.
func Of(t time.Time) Time { return Time{t} }

// MarshalJSON writes the Machine format, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + Machine(t.Time) + `"`), nil
}

// UnmarshalJSON reads RFC 3339 (any precision), or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("time %s: want an RFC 3339 string", b)
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	t.Time = v
	return nil
}
