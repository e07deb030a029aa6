package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/pagerd/pagerd/inforce"
	"github.com/pagerd/pagerd/instant"
	"github.com/pagerd/pagerd/rotation"
	"github.com/pagerd/pagerd/store"
)

// The ledger records who actually held each role, as it happened: at each
// handoff the closed shift is written, never to change. Time no leader saw
// (the daemon was down) is filled in from the rota when one takes over,
// and marked reconstructed.

// ledgerTick is the longest the ledger waits between recordings; it also
// bounds how much of a crash's downtime can go unnoticed.
const ledgerTick = time.Minute

// recordLedger runs while leading.
func (e *Engine) recordLedger(ctx context.Context, fence *store.Fence) {
	first := true
	for {
		now := e.Clock.Now()
		next := now.Add(ledgerTick)
		if r := e.Rota.Get(); r != nil {
			for _, t := range r.Teams {
				n, err := e.recordTeam(ctx, fence, r, t.ID, t.Schedule, now, first, false)
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, store.ErrFenced) {
						e.Log.Error("ledger not recorded", "team", t.ID, "err", err)
					}
					continue
				}
				if !n.IsZero() && n.Before(next) {
					next = n
				}
			}
			first = false
		}
		// From the clock's time now, not the loop's: if time moved on
		// while recording, the timer fires at once.
		t := e.Clock.NewTimer(next.Sub(e.Clock.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			// Close the books as far as now: the shifts under way are cut
			// here, and the rest recorded by whoever leads next.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if r := e.Rota.Get(); r != nil {
				for _, team := range r.Teams {
					if _, err := e.recordTeam(sctx, fence, r, team.ID, team.Schedule, e.Clock.Now(), false, true); err != nil && !errors.Is(err, store.ErrFenced) {
						e.Log.Warn("ledger not closed at shutdown", "team", team.ID, "err", err)
					}
				}
			}
			cancel()
			return
		case <-t.C():
		}
	}
}

// recordTeam writes team's shifts that closed since its cursor, and the
// part of any shift under way up to the last local midnight (so a day, and
// a month, is complete once it has ended), and returns when next to
// record. At takeover (first) the time since the last leader was alive is
// noted as a gap, and entries overlapping a gap are marked reconstructed.
// At shutdown (cut) shifts under way are recorded up to now.
func (e *Engine) recordTeam(ctx context.Context, fence *store.Fence, r *inforce.Rota, team string, s *rotation.Schedule, now time.Time, first, cut bool) (time.Time, error) {
	cur, ok, err := e.Store.Cursor(ctx, team)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		// The ledger starts when pagerd first ran for the team.
		cur = store.LedgerCursor{Upto: now, Alive: now}
		return now.Add(ledgerTick), e.Store.RecordHeld(ctx, fence, team, nil, cur)
	}
	if first && now.Sub(cur.Alive) > 2*ledgerTick {
		cur.Gaps = append(cur.Gaps, store.Gap{From: cur.Alive, To: now})
	}
	midnight := localMidnight(now, s.Location)
	var held []store.Held
	upto := now
	if now.After(cur.Upto) {
		// One nanosecond past now tells a shift that ends now (closed)
		// from one that goes on (clipped at now+1ns).
		past := now.Add(time.Nanosecond)
		for _, sh := range s.Shifts(cur.Upto, past) {
			if sh.End.Equal(past) { // still under way
				switch {
				case cut:
					sh.End = now
				case sh.Start.Before(midnight):
					sh.End = midnight // close the days that have ended
					upto = instant.Earlier(upto, midnight)
				default:
					upto = instant.Earlier(upto, sh.Start)
					continue
				}
			}
			if !sh.End.After(sh.Start) {
				continue
			}
			held = append(held, store.Held{
				Team: team, Role: sh.Role, Person: sh.Person, Start: sh.Start, End: sh.End,
				Source: string(sh.Source), Shadow: sh.Source == rotation.SourceShadow, RotaRev: r.Rev,
				Reconstructed: inGap(cur.Gaps, sh.Start, sh.End), RecordedAt: now,
			})
		}
	}
	if upto.Before(cur.Upto) {
		upto = cur.Upto
	}
	// Gaps wholly before the cursor have done their work.
	var gaps []store.Gap
	for _, g := range cur.Gaps {
		if g.To.After(upto) {
			gaps = append(gaps, g)
		}
	}
	// Next: the earliest end of a shift under way, or the next midnight.
	l := now.In(s.Location)
	next := rotation.ResolveWall(time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, time.UTC), s.Location)
	for _, rot := range s.Rotations {
		if h, ok := s.Holder(rot.Role, now); ok && !h.End.IsZero() {
			next = instant.Earlier(next, h.End)
		}
		for _, sh := range s.ShadowsAt(rot.Role, now) {
			next = instant.Earlier(next, sh.End)
		}
	}
	return next, e.Store.RecordHeld(ctx, fence, team, held, store.LedgerCursor{Upto: upto, Alive: now, Gaps: gaps})
}

// localMidnight is the start of t's day in loc.
func localMidnight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return rotation.ResolveWall(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC), loc)
}

func inGap(gaps []store.Gap, from, to time.Time) bool {
	for _, g := range gaps {
		if to.After(g.From) && from.Before(g.To) {
			return true
		}
	}
	return false
}
