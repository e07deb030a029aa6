// Package timesheet turns on-call time into pay: it classes time as business
// hours, weekday out-of-hours, weekend or holiday in a team's own zone, and
// prices it exactly in integer minor units (pence, cents), never a float.
//
// It is pure: no I/O, no wall clock, no package state. The caller (the
// engine's ledger, or `pagerd report`) passes the ledger's segments and
// engagements, a Calendar per team and a function giving each person's
// Rates, all mapped from the rota; the package does not import the loader.
//
// Calendar.Split is the classifier: it cuts an interval at local midnights
// and business-hours boundaries, resolving wall times the RFC 5545 way as
// handoffs do, so a 23- or 25-hour day counts as it was. Report sums and
// prices per person, team, kind (standby, shadow, engaged) and class; its
// doc lists every rule (overlaps, minimum callout, rounding, daily cap).
// Records lays a report out for CSV.
package timesheet
