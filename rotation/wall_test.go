package rotation

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestTransitions2026 checks, from Go's tz data, the DST changes the other
// tests are built around.
func TestTransitions2026(t *testing.T) {
	h := time.Hour
	want := map[string][]transition{
		"Europe/London": {
			{utc(t, "2026-03-29T01:00:00Z"), "2026-03-29 00:59:59", "2026-03-29 02:00:00", 0, h},
			{utc(t, "2026-10-25T01:00:00Z"), "2026-10-25 01:59:59", "2026-10-25 01:00:00", h, 0},
		},
		"America/New_York": {
			{utc(t, "2026-03-08T07:00:00Z"), "2026-03-08 01:59:59", "2026-03-08 03:00:00", -5 * h, -4 * h},
			{utc(t, "2026-11-01T06:00:00Z"), "2026-11-01 01:59:59", "2026-11-01 01:00:00", -4 * h, -5 * h},
		},
		"Australia/Lord_Howe": {
			{utc(t, "2026-04-04T15:00:00Z"), "2026-04-05 01:59:59", "2026-04-05 01:30:00", 11 * h, 10*h + 30*time.Minute},
			{utc(t, "2026-10-03T15:30:00Z"), "2026-10-04 01:59:59", "2026-10-04 02:30:00", 10*h + 30*time.Minute, 11 * h},
		},
	}
	for _, zone := range testZones {
		got := transitionsIn(mustZone(t, zone), 2026)
		if len(got) != len(want[zone]) {
			t.Fatalf("%s: %d transitions in 2026, want %d: %+v", zone, len(got), len(want[zone]), got)
		}
		for i, w := range want[zone] {
			g := got[i]
			if !g.at.Equal(w.at) || g.wallBefore != w.wallBefore || g.wallAt != w.wallAt || g.offBefore != w.offBefore || g.offAt != w.offAt {
				t.Errorf("%s transition %d = %+v, want %+v", zone, i, g, w)
			}
		}
	}
}

func TestResolveWall(t *testing.T) {
	tests := []struct {
		zone, wall, want, why string
	}{
		// London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
		{"Europe/London", "2026-01-15 12:00", "2026-01-15T12:00:00Z", "winter"},
		{"Europe/London", "2026-07-01 12:00", "2026-07-01T11:00:00Z", "summer"},
		{"Europe/London", "2026-03-29 00:59:59", "2026-03-29T00:59:59Z", "last second before the gap"},
		{"Europe/London", "2026-03-29 01:00", "2026-03-29T01:00:00Z", "gap start reads as GMT: 02:00 BST"},
		{"Europe/London", "2026-03-29 01:30", "2026-03-29T01:30:00Z", "in the gap reads as GMT: 02:30 BST"},
		{"Europe/London", "2026-03-29 01:59:59", "2026-03-29T01:59:59Z", "gap end reads as GMT"},
		{"Europe/London", "2026-03-29 02:00", "2026-03-29T01:00:00Z", "first wall time after the gap"},
		{"Europe/London", "2026-03-29 02:30", "2026-03-29T01:30:00Z", "same instant as 01:30"},
		{"Europe/London", "2026-10-25 00:59:59", "2026-10-24T23:59:59Z", "before the repeat"},
		{"Europe/London", "2026-10-25 01:00", "2026-10-25T00:00:00Z", "repeat start: first, BST"},
		{"Europe/London", "2026-10-25 01:30", "2026-10-25T00:30:00Z", "repeated: first, BST"},
		{"Europe/London", "2026-10-25 01:59:59", "2026-10-25T00:59:59Z", "repeat end: first, BST"},
		{"Europe/London", "2026-10-25 02:00", "2026-10-25T02:00:00Z", "after the repeat, GMT"},

		// New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{"America/New_York", "2026-01-15 12:00", "2026-01-15T17:00:00Z", "winter"},
		{"America/New_York", "2026-03-08 01:59:59", "2026-03-08T06:59:59Z", "before the gap"},
		{"America/New_York", "2026-03-08 02:00", "2026-03-08T07:00:00Z", "gap start reads as EST: 03:00 EDT"},
		{"America/New_York", "2026-03-08 02:30", "2026-03-08T07:30:00Z", "in the gap reads as EST: 03:30 EDT"},
		{"America/New_York", "2026-03-08 03:00", "2026-03-08T07:00:00Z", "after the gap, EDT"},
		{"America/New_York", "2026-11-01 00:59:59", "2026-11-01T04:59:59Z", "before the repeat"},
		{"America/New_York", "2026-11-01 01:00", "2026-11-01T05:00:00Z", "repeat start: first, EDT"},
		{"America/New_York", "2026-11-01 01:30", "2026-11-01T05:30:00Z", "repeated: first, EDT"},
		{"America/New_York", "2026-11-01 02:00", "2026-11-01T07:00:00Z", "after the repeat, EST"},
		{"America/New_York", "2026-11-01 02:30", "2026-11-01T07:30:00Z", "not repeated"},

		// Lord Howe: 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11.
		{"Australia/Lord_Howe", "2026-01-15 12:00", "2026-01-15T01:00:00Z", "summer, +11"},
		{"Australia/Lord_Howe", "2026-04-05 01:29:59", "2026-04-04T14:29:59Z", "before the repeat"},
		{"Australia/Lord_Howe", "2026-04-05 01:30", "2026-04-04T14:30:00Z", "repeat start: first, +11"},
		{"Australia/Lord_Howe", "2026-04-05 01:45", "2026-04-04T14:45:00Z", "repeated: first, +11"},
		{"Australia/Lord_Howe", "2026-04-05 01:59:59", "2026-04-04T14:59:59Z", "repeat end: first, +11"},
		{"Australia/Lord_Howe", "2026-04-05 02:00", "2026-04-04T15:30:00Z", "after the repeat, +10:30"},
		{"Australia/Lord_Howe", "2026-07-01 12:00", "2026-07-01T01:30:00Z", "winter, +10:30"},
		{"Australia/Lord_Howe", "2026-10-04 01:59:59", "2026-10-03T15:29:59Z", "before the gap"},
		{"Australia/Lord_Howe", "2026-10-04 02:00", "2026-10-03T15:30:00Z", "gap start reads as +10:30: 02:30 +11"},
		{"Australia/Lord_Howe", "2026-10-04 02:15", "2026-10-03T15:45:00Z", "in the gap reads as +10:30: 02:45 +11"},
		{"Australia/Lord_Howe", "2026-10-04 02:29:59", "2026-10-03T15:59:59Z", "gap end"},
		{"Australia/Lord_Howe", "2026-10-04 02:30", "2026-10-03T15:30:00Z", "after the gap, +11"},
	}
	for _, tt := range tests {
		loc := mustZone(t, tt.zone)
		got := ResolveWall(wall(t, tt.wall), loc)
		if want := utc(t, tt.want); !got.Equal(want) {
			t.Errorf("%s %s (%s) = %s, want %s", tt.zone, tt.wall, tt.why, got.UTC().Format(time.RFC3339), tt.want)
		}
		if got.Location() != loc {
			t.Errorf("%s %s: result in %v, want %v", tt.zone, tt.wall, got.Location(), loc)
		}
	}
}

func TestResolveWallIgnoresInputLocation(t *testing.T) {
	london := mustZone(t, "Europe/London")
	tokyo := mustZone(t, "Asia/Tokyo")
	w := time.Date(2026, 3, 29, 1, 30, 0, 0, tokyo)
	if got, want := ResolveWall(w, london), utc(t, "2026-03-29T01:30:00Z"); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestResolveWallProperty checks, for random instants in many zones, that
// resolving an instant's own wall clock gives that wall clock back at the
// same instant or earlier (earlier only in a repeated interval).
func TestResolveWallProperty(t *testing.T) {
	zones := append([]string{"UTC", "Pacific/Apia", "Europe/Moscow", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Antarctica/Troll"}, testZones...)
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := utc(t, "1900-01-01T00:00:00Z").Unix(), utc(t, "2040-01-01T00:00:00Z").Unix()
	for _, zone := range zones {
		loc := mustZone(t, zone)
		for range 20000 {
			x := time.Unix(lo+rng.Int64N(hi-lo), 0).In(loc)
			r := ResolveWall(x, loc)
			if r.After(x) || r.Format(time.DateTime) != x.Format(time.DateTime) {
				t.Fatalf("%s: ResolveWall(%s) = %s", zone, x, r)
			}
			if r.Before(x) {
				// x is the second occurrence: the first must be one offset change earlier.
				_, ox := x.Zone()
				_, or := r.Zone()
				if time.Duration(or-ox)*time.Second != x.Sub(r) {
					t.Fatalf("%s: ResolveWall(%s) = %s, not one offset change earlier", zone, x, r)
				}
			}
		}
	}
}

// TestResolveWallSkippedDay covers Samoa's skipped 2011-12-30: every wall
// time that day reads with the offset before the jump (-10h).
func TestResolveWallSkippedDay(t *testing.T) {
	apia := mustZone(t, "Pacific/Apia")
	got := ResolveWall(wall(t, "2011-12-30 12:00"), apia)
	if want := utc(t, "2011-12-30T22:00:00Z"); !got.Equal(want) {
		t.Errorf("got %s, want %s", got.UTC(), want)
	}
}
