package timefmt

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

// Every machine time has the same width: three fraction digits, UTC.
func TestMachineHasFixedMillisecondPrecision(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC), "2026-11-24T18:00:00.000Z"},
		{time.Date(2026, 11, 24, 18, 0, 0, 123456789, time.UTC), "2026-11-24T18:00:00.123Z"},
		{time.Date(2026, 11, 24, 18, 0, 0, 10000000, time.UTC), "2026-11-24T18:00:00.010Z"},
		{time.Date(2026, 11, 24, 13, 0, 0, 999999999, ny), "2026-11-24T18:00:00.999Z"},
	} {
		got := Machine(tc.in)
		if got != tc.want || !shape.MatchString(got) {
			t.Errorf("Machine(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTimeJSON(t *testing.T) {
	type doc struct {
		At    Time `json:"at"`
		Maybe Time `json:"maybe"`
		Gone  Time `json:"gone,omitzero"`
	}
	in := doc{At: Of(time.Date(2026, 3, 29, 1, 30, 0, 87654321, time.UTC))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"at":"2026-03-29T01:30:00.087Z","maybe":null}`; string(b) != want {
		t.Fatalf("marshal: %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.At.Equal(in.At.Truncate(time.Millisecond)) || !out.Maybe.IsZero() {
		t.Errorf("round trip: %+v", out)
	}
	if err := json.Unmarshal([]byte(`{"at":"2026-03-29T02:30:00.5+01:00"}`), &out); err != nil || !out.At.Equal(time.Date(2026, 3, 29, 1, 30, 0, 5e8, time.UTC)) {
		t.Errorf("an offset time: %v %v", out.At, err)
	}
	if err := json.Unmarshal([]byte(`{"at":"yesterday"}`), &out); err == nil {
		t.Error("accepted a time that is not RFC 3339")
	}
}

func TestPeopleShowsDateTimeAndZone(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 7, 1, 23, 49, 43, 192e6, time.UTC)
	if got := People(at, london); got != "2026-07-02 00:49 BST" {
		t.Errorf("People = %q", got)
	}
	if got := PeopleSeconds(at, london); got != "2026-07-02 00:49:43 BST" {
		t.Errorf("PeopleSeconds = %q", got)
	}
	if got := People(at, nil); got != "2026-07-01 23:49 UTC" {
		t.Errorf("People in nil = %q", got)
	}
}
