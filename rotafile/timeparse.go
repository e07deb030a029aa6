package rotafile

import (
	"fmt"
	"strings"
	"time"

	"github.com/pagerd/pagerd/rotation"
)

// localLayouts are the wall-clock forms accepted for times, read in the
// team's zone. A date alone means local midnight at its start.
var localLayouts = [...]string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTime reads an instant written as RFC 3339 (with Z or an offset), or as
// a wall-clock time such as "2026-11-24 18:00" or "2026-11-24" in loc. Wall
// times that a DST change skips or repeats are resolved as RFC 5545 says:
// the offset before the gap, and the first of the two repeated instants.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04Z07:00", s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if w, err := time.Parse(layout, s); err == nil {
			return rotation.ResolveWall(w, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write RFC 3339 (2026-11-24T18:00:00Z) or a local time (2026-11-24 18:00, 2026-11-24T18:00, 2026-11-24)", s)
}
