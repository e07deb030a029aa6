package scheduler

import (
	"context"
	"errors"
	"time"

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
		t := e.Clock.NewTimer(next.Sub(now))
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

// recordTeam writes team's shifts that closed since its cursor and returns
// when the next one closes. At takeover (first) the time since the last
// leader was alive is marked reconstructed; at shutdown (cut) open shifts
// are recorded up to now.
func (e *Engine) recordTeam(ctx context.Context, fence *store.Fence, r *Rota, team string, s *rotation.Schedule, now time.Time, first, cut bool) (time.Time, error) {
	cur, ok, err := e.Store.Cursor(ctx, team)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		// The ledger starts when pagerd first ran for the team.
		cur = store.LedgerCursor{Upto: now, Alive: now}
		return now.Add(ledgerTick), e.Store.RecordHeld(ctx, fence, team, nil, cur)
	}
	downFrom := time.Time{}
	if first && now.Sub(cur.Alive) > 2*ledgerTick {
		downFrom = cur.Alive // nobody was recording from here
	}
	var held []store.Held
	upto := now
	next := time.Time{}
	if now.After(cur.Upto) {
		// One nanosecond past now tells a shift that ends now (closed)
		// from one that goes on (clipped at now+1ns).
		past := now.Add(time.Nanosecond)
		for _, sh := range s.Shifts(cur.Upto, past) {
			open := sh.End.Equal(past)
			if open {
				sh.End = now
			}
			if open && !cut {
				// Still running: recorded when it closes.
				if sh.Start.Before(upto) {
					upto = sh.Start
				}
				continue
			}
			if !sh.End.After(sh.Start) {
				continue
			}
			held = append(held, store.Held{
				Team: team, Role: sh.Role, Person: sh.Person, Start: sh.Start, End: sh.End,
				Source: string(sh.Source), Shadow: sh.Source == rotation.SourceShadow, RotaRev: r.Rev,
				Reconstructed: !downFrom.IsZero() && sh.End.After(downFrom), RecordedAt: now,
			})
		}
	}
	// The next close: the earliest end of a shift under way.
	for _, sh := range s.Shifts(now, now.Add(365*24*time.Hour)) {
		if sh.Start.Equal(now) || sh.Start.Before(now) {
			if next.IsZero() || sh.End.Before(next) {
				next = sh.End
			}
		}
	}
	// A shift that started before the cursor was cut at the cursor last
	// time (a shutdown); its rest starts at the cursor, as Shifts clips it.
	if upto.Before(cur.Upto) {
		upto = cur.Upto
	}
	return next, e.Store.RecordHeld(ctx, fence, team, held, store.LedgerCursor{Upto: upto, Alive: now})
}
