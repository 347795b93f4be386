package detect

import (
	"strconv"
	"unsafe"
)

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// ParseFloat parses a decimal number ([+-]digits[.digits]) without
// allocating. Plain decimals of up to 18 significant digits take a fast path
// (exact to within one rounding, enough for coordinates); anything else
// (exponents, more digits) goes to strconv so the result is never wrong.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	i := 0
	neg := false
	switch b[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	// Two tight loops (integer part, fraction) without per-digit branches
	// beyond the digit test: this runs twice per record of a telemetry file.
	var mant uint64
	start := i
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		mant = mant*10 + uint64(d)
	}
	intDigits := i - start
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				break
			}
			mant = mant*10 + uint64(d)
		}
		frac = i - fs
	}
	if i != len(b) {
		if b[i] == 'e' || b[i] == 'E' {
			return slowFloat(b)
		}
		return 0, false
	}
	if intDigits+frac == 0 {
		return 0, false
	}
	if intDigits+frac > 18 {
		// Leading zeros do not overflow, but long mantissas might: let
		// strconv round them correctly.
		return slowFloat(b)
	}
	f := float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

func slowFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	return f, err == nil
}

// ParseUint parses an unsigned decimal integer of at most 19 digits.
func ParseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// AllDigits reports whether b is non-empty and only ASCII digits.
func AllDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
