package clock

import (
	"testing"
	"time"
)

func TestFakeFiresDueTimersInOrder(t *testing.T) {
	start := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	f := NewFake(start)
	a := f.NewTimer(2 * time.Minute)
	b := f.NewTimer(time.Minute)
	c := f.NewTimer(time.Hour)
	if f.Pending() != 3 {
		t.Fatalf("pending = %d", f.Pending())
	}
	f.Advance(90 * time.Second)
	select {
	case at := <-b.C():
		if !at.Equal(start.Add(90 * time.Second)) {
			t.Errorf("b fired with %v", at)
		}
	default:
		t.Fatal("b did not fire")
	}
	select {
	case <-a.C():
		t.Fatal("a fired early")
	default:
	}
	if !c.Stop() || c.Stop() {
		t.Error("Stop: want true then false")
	}
	f.Advance(time.Hour)
	select {
	case <-a.C():
	default:
		t.Fatal("a did not fire")
	}
	select {
	case <-c.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if f.Pending() != 0 {
		t.Errorf("pending = %d", f.Pending())
	}
	f.Set(start) // never backwards
	if !f.Now().Equal(start.Add(90*time.Second + time.Hour)) {
		t.Errorf("clock went backwards to %v", f.Now())
	}
	if z := f.NewTimer(0); len(z.C()) != 1 {
		t.Error("a zero timer should fire at once")
	}
}
