package detect

import (
	"strings"
	"unicode/utf8"
)

// Masks keep enough to recognise the kind of value and never the part that
// identifies one vehicle or person.

// MaskVIN keeps the WMI and four VDS characters: "LRW3E7E**********".
func MaskVIN(v []byte) string { return keep(v, 7) }

// MaskPhone keeps the carrier prefix and the last two digits: "138******78".
func MaskPhone(v []byte) string {
	if len(v) != 11 {
		return keep(v, 3)
	}
	return string(v[:3]) + "******" + string(v[9:])
}

// MaskCNID keeps the province and prefecture (4 digits): "1101**************".
func MaskCNID(v []byte) string { return keep(v, 4) }

// MaskPlate keeps the province character and the issuing letter: "京A*****".
func MaskPlate(v []byte) string {
	_, n := utf8.DecodeRune(v)
	if n+1 > len(v) {
		return strings.Repeat("*", utf8.RuneCount(v))
	}
	return string(v[:n+1]) + strings.Repeat("*", utf8.RuneCount(v[n+1:]))
}

// MaskID keeps the first four characters of a device or other identifier.
func MaskID(v []byte) string {
	if len(v) <= 6 {
		return strings.Repeat("*", utf8.RuneCount(v))
	}
	return keep(v, 4)
}

func keep(v []byte, n int) string {
	if !utf8.Valid(v) {
		return strings.Repeat("*", 8)
	}
	rs := []rune(string(v))
	if n > len(rs)/2 {
		n = len(rs) / 2
	}
	return string(rs[:n]) + strings.Repeat("*", len(rs)-n)
}
