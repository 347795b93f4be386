package detect

// VINStatus is the outcome of checking a 17-character candidate.
type VINStatus uint8

const (
	// VINInvalid: not a VIN (wrong alphabet or length, repeated characters,
	// or a failed check digit where the check digit is mandatory).
	VINInvalid VINStatus = iota
	// VINValid: a VIN whose check digit verifies.
	VINValid
	// VINUnverified: well-formed, but the check digit fails in a region where
	// it is not mandatory (e.g. Europe), so it may still be a real VIN.
	VINUnverified
)

func (s VINStatus) String() string {
	switch s {
	case VINValid:
		return "valid"
	case VINUnverified:
		return "unverified"
	default:
		return "invalid"
	}
}

// vinValue is the ISO 3779 transliteration; 0xff marks a letter a VIN never
// holds (I, O, Q) and anything outside A-Z0-9.
var vinValue [256]uint8

// vinWeight is the weight of each position in the check-digit sum.
var vinWeight = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

func init() {
	for i := range vinValue {
		vinValue[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		vinValue[c] = uint8(c - '0')
	}
	letters := "ABCDEFGHJKLMNPRSTUVWXYZ"
	values := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9}
	for i := 0; i < len(letters); i++ {
		vinValue[letters[i]] = values[i]
	}
}

// IsVINChar reports whether c may appear in a VIN.
func IsVINChar(c byte) bool { return vinValue[c] != 0xff }

// VINCheckDigit computes the position-9 check character of a 17-byte VIN
// whose characters are all VIN characters. It returns 0 for other input.
func VINCheckDigit(v []byte) byte {
	if len(v) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		x := vinValue[v[i]]
		if x == 0xff {
			return 0
		}
		sum += int(x) * vinWeight[i]
	}
	r := sum % 11
	if r == 10 {
		return 'X'
	}
	return byte('0' + r)
}

// checkMandatory reports whether the WMI's region makes the check digit
// mandatory: China (WMI starting L) and North America (1-5).
func checkMandatory(first byte) bool {
	return first == 'L' || (first >= '1' && first <= '5')
}

// CheckVIN validates a whole value as a VIN (upper case only: VINs are
// written in capitals, and lower-case 17-letter words are usually hashes).
//
// Repeated-character values (a run of 8 or more of one character, or only
// one or two distinct characters) are rejected: "11111111111111111" and
// "AAAAAAAAAAAAAAAAA" are placeholders, not vehicles. A value with no letter
// is rejected too: every real WMI/VDS holds letters, while 17-digit runs are
// order numbers and timestamps.
func CheckVIN(v []byte) VINStatus {
	if len(v) != 17 {
		return VINInvalid
	}
	_ = v[16]
	sum := 0
	letters := 0
	for i := 0; i < 17; i++ {
		x := vinValue[v[i]]
		if x == 0xff {
			return VINInvalid
		}
		letters += int(v[i] >> 6) // 1 for 'A'-'Z' (0x41-0x5A), 0 for digits
		sum += int(x) * vinWeight[i]
	}
	if letters == 0 || repeated(v) {
		return VINInvalid
	}
	r := sum % 11
	want := byte('0' + r)
	if r == 10 {
		want = 'X'
	}
	if v[8] == want {
		return VINValid
	}
	if checkMandatory(v[0]) {
		return VINInvalid
	}
	return VINUnverified
}

// repeated reports a placeholder: a run of 8 or more of one character, or
// at most two distinct characters. Every run of 8 in 17 characters covers
// index 7 or index 15, so only the runs through those two are measured; and
// three different leading characters settle the distinct count at once.
func repeated(v []byte) bool {
	if runAt(v, 7) >= 8 || runAt(v, 15) >= 8 {
		return true
	}
	if v[0] != v[1] && v[0] != v[2] && v[1] != v[2] {
		return false
	}
	a, b := v[0], v[0]
	for _, c := range v[1:] {
		switch {
		case c == a || c == b:
		case a == b:
			b = c
		default:
			return false // a third character
		}
	}
	return true
}

// runAt is the length of the run of equal characters through v[i].
func runAt(v []byte, i int) int {
	c := v[i]
	lo, hi := i, i
	for lo > 0 && v[lo-1] == c {
		lo--
	}
	for hi < len(v)-1 && v[hi+1] == c {
		hi++
	}
	return hi - lo + 1
}
