// Package rotation answers "who is on call at instant t" and "which shifts
// fall in [from, to)" for one team. It is pure: no I/O, no wall clock. Every
// instant is passed in by the caller.
//
// A Schedule holds rotations (one per role), overrides and shadows. After
// Compile, its queries are safe for concurrent use:
//
//   - Handoff rules are RFC 5545 RRULEs run on the team's wall clock, so a
//     Monday 09:00 handoff stays at 09:00 local across DST. A wall time in a
//     DST gap is read with the offset in force before the gap (01:30 on
//     London's spring-forward day is 02:30 BST); a repeated wall time is its
//     first occurrence (01:30 BST on fall-back day). See Handoff and
//     ResolveWall.
//   - Rotation shift k of a member list (era) runs from the k-th handoff
//     after the era's From to the next, shift 0 from the era's From, and is
//     held by member k mod n; a follower holds member (k+Offset) mod n of the
//     rotation it follows. Nobody holds a role outside its rotation's
//     [Start, End). See Schedule.Holder.
//   - Overrides beat the rotation within the rotation's life; the parts of a
//     rotation shift around an override stay shifts of their own.
//   - Shadows are reported alongside, never as holders.
//
// Queries are binary searches over per-rule caches of resolved handoffs that
// grow on demand; they never run the recurrence rule once the cache covers
// the instant asked about.
package rotation
