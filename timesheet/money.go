package timesheet

import (
	"math/bits"
	"strconv"
)

// u128 holds exact products of a rate (minor units per hour) and seconds,
// which overflow int64 for a large rate over a long report.
type u128 struct{ hi, lo uint64 }

func mul(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// add cannot overflow in practice: rates are at most maxRate (< 2^40) and
// seconds fit an int64, so each product is < 2^103.
func (x u128) add(y u128) u128 {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, _ := bits.Add64(x.hi, y.hi, c)
	return u128{hi, lo}
}

func (x u128) less(y u128) bool { return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo }

// divHalfUp is x/d rounded half up, if it fits an int64. d is even (3600),
// so adding d/2 before a floor division is exactly half-up.
func (x u128) divHalfUp(d uint64) (int64, bool) {
	x = x.add(u128{0, d / 2})
	if x.hi >= d {
		return 0, false
	}
	q, _ := bits.Div64(x.hi, x.lo, d)
	if q > 1<<63-1 {
		return 0, false
	}
	return int64(q), true
}

// price is round-half-up(rate * seconds / 3600), exactly.
func price(rate, seconds int64) (int64, bool) {
	return mul(uint64(rate), uint64(seconds)).divHalfUp(3600)
}

// FormatAmount writes minor units as a decimal with two places ("38.75",
// "-12.50"): the loader only accepts currencies with hundredths.
func FormatAmount(minor int64) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = -u // also right for the most negative int64
	}
	frac := strconv.FormatUint(u%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	s := strconv.FormatUint(u/100, 10) + "." + frac
	if neg {
		s = "-" + s
	}
	return s
}
