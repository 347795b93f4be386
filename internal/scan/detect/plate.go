package detect

import "unicode/utf8"

// PlateKind says which GA 36 layout a plate matched.
type PlateKind uint8

const (
	PlateNone PlateKind = iota
	// PlateRegular: province, issuing letter, five characters (7 in all),
	// or four and a suffix character such as 挂 or 学.
	PlateRegular
	// PlateNEV: new-energy plate with six characters after the letter (8).
	PlateNEV
)

// provinceChars are the one-character abbreviations of the 31 mainland
// provincial units that open a civilian plate.
const provinceChars = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// suffixChars close a 7-character plate in place of the fifth serial
// character (trailer, driving school, police, Hong Kong/Macao, consulate,
// test, oversize).
const suffixChars = "挂学警港澳领试超"

var provinceSet, suffixSet = runeSet(provinceChars), runeSet(suffixChars)

// cjkSet is a bitset over the CJK Unified Ideographs block (U+4E00-U+9FFF):
// a lookup without hashing, on the per-record path.
type cjkSet [(0xA000 - 0x4E00) / 64]uint64

func runeSet(s string) *cjkSet {
	var t cjkSet
	for _, r := range s {
		t[(r-0x4E00)/64] |= 1 << ((r - 0x4E00) % 64)
	}
	return &t
}

func (t *cjkSet) has(r rune) bool {
	if r < 0x4E00 || r >= 0xA000 {
		return false
	}
	return t[(r-0x4E00)/64]&(1<<((r-0x4E00)%64)) != 0
}

// IsProvinceRune reports whether r opens a plate.
func IsProvinceRune(r rune) bool { return provinceSet.has(r) }

// plateFirstByte marks the UTF-8 lead bytes of province characters, a cheap
// prefilter before decoding.
var plateFirstByte = func() (t [256]bool) {
	for _, r := range provinceChars {
		var b [4]byte
		utf8.EncodeRune(b[:], r)
		t[b[0]] = true
	}
	return
}()

func isIssuer(c byte) bool { return c >= 'A' && c <= 'Z' && c != 'I' }
func isSerial(c byte) bool {
	return (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O') || (c >= '0' && c <= '9')
}
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isASCIIAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

// middleDot returns the byte length of a separator dot at b (·, •, ・), or 0.
func middleDot(b []byte) int {
	switch {
	case len(b) >= 2 && b[0] == 0xC2 && b[1] == 0xB7:
		return 2
	case len(b) >= 3 && b[0] == 0xE2 && b[1] == 0x80 && b[2] == 0xA2:
		return 3
	case len(b) >= 3 && b[0] == 0xE3 && b[1] == 0x83 && b[2] == 0xBB:
		return 3
	}
	return 0
}

// MatchPlate matches a plate at the start of b and returns its kind and its
// length in bytes; it does not look at what follows (callers apply their
// boundary rule). key receives the normalised plate (separator dot removed)
// and keyLen its length; key must hold at least 16 bytes.
func MatchPlate(b []byte, key []byte) (kind PlateKind, n int, keyLen int) {
	if len(b) < 9 || !plateFirstByte[b[0]] {
		return PlateNone, 0, 0
	}
	// Province characters are all three-byte UTF-8 (U+4E00-U+9FFF): decode
	// inline rather than through utf8.DecodeRune's general path.
	if b[1]&0xC0 != 0x80 || b[2]&0xC0 != 0x80 {
		return PlateNone, 0, 0
	}
	r := rune(b[0]&0x0F)<<12 | rune(b[1]&0x3F)<<6 | rune(b[2]&0x3F)
	const size = 3
	if !provinceSet.has(r) || len(key) < 16 {
		return PlateNone, 0, 0
	}
	k := copy(key, b[:size])
	i := size
	if !isIssuer(b[i]) {
		return PlateNone, 0, 0
	}
	key[k] = b[i]
	k++
	i++
	i += middleDot(b[i:])
	// Collect up to six serial characters.
	start := i
	for i < len(b) && i-start < 6 && isSerial(b[i]) {
		key[k] = b[i]
		k++
		i++
	}
	s := b[start:i]
	switch len(s) {
	case 6:
		// Small NEV: series letter A-K (no I), a letter or digit, four digits.
		// Large NEV: five digits then D or F.
		small := s[0] >= 'A' && s[0] <= 'K' && isDigit(s[2]) && isDigit(s[3]) && isDigit(s[4]) && isDigit(s[5])
		large := isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) && isDigit(s[4]) && (s[5] == 'D' || s[5] == 'F')
		if small || large {
			return PlateNEV, i, k
		}
		// Six serial characters that are not a NEV layout: a regular plate
		// cannot be followed by a sixth, so this is not a plate.
		return PlateNone, 0, 0
	case 5:
		return PlateRegular, i, k
	case 4:
		if i < len(b) {
			r, sz := utf8.DecodeRune(b[i:])
			if suffixSet.has(r) {
				k += copy(key[k:], b[i:i+sz])
				return PlateRegular, i + sz, k
			}
		}
	}
	return PlateNone, 0, 0
}

// CheckPlate validates a whole value as a plate.
func CheckPlate(v []byte) PlateKind {
	var key [16]byte
	kind, n, _ := MatchPlate(v, key[:])
	if n != len(v) {
		return PlateNone
	}
	return kind
}

// PlateKey validates a whole value as a plate and returns its normalised
// form in key[:n] (n == 0: not a plate).
func PlateKey(v []byte, key *[16]byte) int {
	kind, n, k := MatchPlate(v, key[:])
	if kind == PlateNone || n != len(v) {
		return 0
	}
	return k
}
