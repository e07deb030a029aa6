// Package instant holds the small comparisons of time.Time that the pure
// packages share (time.Time has no min and max).
package instant

import "time"

// Earlier returns the earlier of a and b (a when equal).
func Earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Later returns the later of a and b (a when equal).
func Later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Clamp returns t limited to [lo, hi].
func Clamp(t, lo, hi time.Time) time.Time { return Earlier(Later(t, lo), hi) }
