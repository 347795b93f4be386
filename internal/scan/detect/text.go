package detect

import "unicode/utf8"

// Sink receives what ScanText finds. Byte slices are only valid during the
// call (they point into the caller's buffer).
type Sink interface {
	FoundVIN(v []byte, st VINStatus)
	FoundPlate(key []byte, kind PlateKind)
	FoundCNID(v []byte, valid bool)
	FoundPhone(v []byte, valid bool)
	FoundPoint(lat, lon float64)
	FoundTime(ms int64, zoned bool)
	// InvalidUTF8 reports a byte sequence that is not UTF-8 (the text may
	// be misread there).
	InvalidUTF8()
}

// TextOptions switches inline detectors off where context forbids them.
type TextOptions struct {
	// NoPhone: the text is a timestamp or measurement; 11-digit runs there
	// are not phone numbers (presidio#1607).
	NoPhone bool
	// Times: also look for inline date-times (log lines).
	Times bool
	// Points: also look for inline lat=/lon= pairs.
	Points bool
}

// MinTextLen is the shortest value that can hold any identifier (a 7-char
// plate is 9 bytes; VIN 17, phone 11, ID 18). ASCII values shorter than
// this are skipped by callers after a cheap check.
const MinTextLen = 9

func isTokenByte(c byte) bool {
	return isASCIIAlnum(c) || c == '_'
}

// ScanText finds identifiers inside free text, respecting token boundaries:
// an identifier is never taken from inside a longer run of letters, digits
// or underscores (so hashes, GUIDs and long numbers yield nothing).
func ScanText(b []byte, opt TextOptions, sink Sink) {
	var lat, lon float64
	var haveLat, haveLon bool
	var key [16]byte
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case isTokenByte(c):
			j := i + 1
			for j < len(b) && isTokenByte(b[j]) {
				j++
			}
			tok := b[i:j]
			prev := byte(' ')
			if i > 0 {
				prev = b[i-1]
			}
			next := byte(' ')
			if j < len(b) {
				next = b[j]
			}
			// A dot on either side makes the run part of a decimal number.
			dotted := prev == '.' || (next == '.' && j+1 < len(b) && isDigit(b[j+1]))
			switch {
			case opt.Points && (c == 'l' || c == 'L'):
				if v, k, ok := matchCoordKey(b, i, j); ok {
					if k == HintLat {
						lat, haveLat = v, true
					} else {
						lon, haveLon = v, true
					}
					if haveLat && haveLon {
						sink.FoundPoint(lat, lon)
						haveLat, haveLon = false, false
					}
				}
			case opt.Times && len(tok) >= 4 && isDigit(c) && (c == '1' || c == '2') && j < len(b) && (b[j] == '-' || b[j] == '/' || hasPrefix(b[j:], "年")):
				if ms, zoned, n, ok := MatchDateTime(b[i:]); ok && (i+n == len(b) || !isTokenByte(b[i+n])) {
					sink.FoundTime(ms, zoned)
					i += n
					continue
				}
			}
			switch {
			case opt.Times && (len(tok) == 10 || len(tok) == 13) && isDigit(c) && !dotted && timeKeyBefore(b, i):
				// ts=1717000000000, "time": 1717000000: an epoch, not a phone.
				if ms, _, ok := Epoch(tok); ok {
					sink.FoundTime(ms, true)
					i = j
					continue
				}
				classifyToken(tok, opt, sink, b, j)
			case len(tok) >= 18 && indexByte(tok, '_') >= 0:
				// Underscores join words in file names and log keys
				// (LRW3E7EB6RC101571_20240501.log): a VIN or resident ID
				// number between them is still one. Phone numbers keep the
				// stricter rule (a digit run joined by _ is an id).
				underscoreParts(tok, prev == '.', dotted && prev != '.', sink)
			case !dotted:
				classifyToken(tok, opt, sink, b, j)
			}
			i = j
		case c >= 0x80:
			if plateFirstByte[c] && (i == 0 || !isTokenByte(b[i-1])) && !afterProvince(b, i) {
				kind, n, k := MatchPlate(b[i:], key[:])
				if kind != PlateNone && (i+n == len(b) || !isTokenByte(b[i+n])) {
					sink.FoundPlate(key[:k], kind)
					i += n
					continue
				}
			}
			if opt.Points {
				if v, h, n, ok := matchChineseCoord(b[i:]); ok {
					if h == HintLat {
						lat, haveLat = v, true
					} else {
						lon, haveLon = v, true
					}
					if haveLat && haveLon {
						sink.FoundPoint(lat, lon)
						haveLat, haveLon = false, false
					}
					i += n
					continue
				}
			}
			r, sz := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && sz == 1 {
				sink.InvalidUTF8()
			}
			i += sz
		default:
			i++
		}
	}
}

// afterProvince reports whether the rune before b[i] is a province
// character: "浙苏H6F681" is an OCR misread, not a plate 苏H6F681.
func afterProvince(b []byte, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRune(b[:i])
	return provinceSet.has(r)
}

func classifyToken(tok []byte, opt TextOptions, sink Sink, b []byte, j int) {
	switch len(tok) {
	case 17:
		if looksVIN(tok) {
			sink.FoundVIN(tok, CheckVIN(tok))
		}
	case 18:
		if AllDigitsN(tok, 17) && (isDigit(tok[17]) || tok[17] == 'X' || tok[17] == 'x') {
			sink.FoundCNID(tok, CheckCNID(tok))
		}
	case 11:
		if !opt.NoPhone && tok[0] == '1' && AllDigits(tok) {
			sink.FoundPhone(tok, CheckMobile(tok))
		}
	case 13:
		// 86 + mobile, written without the plus.
		if !opt.NoPhone && tok[0] == '8' && tok[1] == '6' && tok[2] == '1' && AllDigits(tok) && CheckMobile(tok[2:]) {
			sink.FoundPhone(tok[2:], true)
		}
	case 3:
		// Grouped form 138 1234 5678 / 138-1234-5678.
		if !opt.NoPhone && tok[0] == '1' && AllDigits(tok) && j+10 <= len(b) {
			s := b[j]
			if (s == ' ' || s == '-') && AllDigitsN(b[j+1:], 4) && b[j+5] == s && AllDigitsN(b[j+6:], 4) &&
				(j+10 == len(b) || !isTokenByte(b[j+10])) {
				var d [11]byte
				copy(d[:3], tok)
				copy(d[3:7], b[j+1:j+5])
				copy(d[7:], b[j+6:j+10])
				sink.FoundPhone(d[:], CheckMobile(d[:]))
			}
		}
	}
}

// looksVIN: 17 VIN characters, upper case, with at least one letter. Only
// such tokens count as VIN candidates (valid, unverified or invalid).
func looksVIN(t []byte) bool {
	letters := 0
	for _, c := range t {
		if !IsVINChar(c) {
			return false
		}
		if c >= 'A' {
			letters++
		}
	}
	return letters > 0
}

// matchCoordKey matches lat/latitude/lon/lng/longitude at b[i:j] followed by
// optional quote and spaces, '=' or ':', optional quote and spaces, and a
// number in range.
func matchCoordKey(b []byte, i, j int) (float64, Hint, bool) {
	var h Hint
	switch w := b[i:j]; {
	case equalFold(w, "lat") || equalFold(w, "latitude"):
		h = HintLat
	case equalFold(w, "lon") || equalFold(w, "lng") || equalFold(w, "long") || equalFold(w, "longitude"):
		h = HintLon
	default:
		return 0, 0, false
	}
	k := j
	skip := func() {
		for k < len(b) && (b[k] == ' ' || b[k] == '"' || b[k] == '\'') {
			k++
		}
	}
	skip()
	if k >= len(b) || (b[k] != '=' && b[k] != ':') {
		return 0, 0, false
	}
	k++
	skip()
	e := k
	for e < len(b) && (isDigit(b[e]) || b[e] == '.' || b[e] == '-' || b[e] == '+') {
		e++
	}
	v, ok := ParseFloat(b[k:e])
	if !ok {
		return 0, 0, false
	}
	if (h == HintLat && (v < -90 || v > 90)) || (h == HintLon && (v < -180 || v > 180)) {
		return 0, 0, false
	}
	return v, h, true
}

func matchChineseCoord(b []byte) (float64, Hint, int, bool) {
	var h Hint
	var n int
	switch {
	case hasPrefix(b, "纬度"):
		h, n = HintLat, len("纬度")
	case hasPrefix(b, "经度"):
		h, n = HintLon, len("经度")
	default:
		return 0, 0, 0, false
	}
	k := n
	for k < len(b) && b[k] == ' ' {
		k++
	}
	switch {
	case k < len(b) && (b[k] == '=' || b[k] == ':'):
		k++
	case hasPrefix(b[k:], "："):
		k += len("：")
	default:
		return 0, 0, 0, false
	}
	for k < len(b) && b[k] == ' ' {
		k++
	}
	e := k
	for e < len(b) && (isDigit(b[e]) || b[e] == '.' || b[e] == '-') {
		e++
	}
	v, ok := ParseFloat(b[k:e])
	if !ok || (h == HintLat && (v < -90 || v > 90)) || (h == HintLon && (v < -180 || v > 180)) {
		return 0, 0, 0, false
	}
	return v, h, e, true
}

// equalFold compares ASCII bytes with a lower-case word, ignoring case.
func equalFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// underscoreParts looks for VINs and resident ID numbers among the
// _-separated parts of a token. dotFirst / dotLast: the token's first or
// last part touches a decimal point (part of a number).
func underscoreParts(tok []byte, dotFirst, dotLast bool, sink Sink) {
	start := 0
	for k := 0; k <= len(tok); k++ {
		if k < len(tok) && tok[k] != '_' {
			continue
		}
		part := tok[start:k]
		first, last := start == 0, k == len(tok)
		start = k + 1
		if (first && dotFirst) || (last && dotLast) {
			continue
		}
		switch len(part) {
		case 17:
			if looksVIN(part) {
				sink.FoundVIN(part, CheckVIN(part))
			}
		case 18:
			if AllDigitsN(part, 17) && (isDigit(part[17]) || part[17] == 'X' || part[17] == 'x') {
				sink.FoundCNID(part, CheckCNID(part))
			}
		}
	}
}

// timeKeyBefore reports whether the number at b[i:] follows a time key and
// '=' or ':' (ts=, time:, "eventTime": , 时间=): then a 10- or 13-digit
// number there is an epoch.
func timeKeyBefore(b []byte, i int) bool {
	k := i - 1
	for k >= 0 && (b[k] == ' ' || b[k] == '"' || b[k] == '\'') {
		k--
	}
	switch {
	case k >= 0 && (b[k] == '=' || b[k] == ':'):
		k--
	case k >= 2 && string(b[k-2:k+1]) == "：":
		k -= 3
	default:
		return false
	}
	for k >= 0 && (b[k] == ' ' || b[k] == '"' || b[k] == '\'') {
		k--
	}
	end := k + 1
	if end >= len("时间") && (string(b[end-len("时间"):end]) == "时间" || (end >= len("时间戳") && string(b[end-len("时间戳"):end]) == "时间戳")) {
		return true
	}
	for k >= 0 && (isASCIIAlnum(b[k]) || b[k] == '_' || b[k] == '-' || b[k] == '.') {
		k--
	}
	return timeKey(b[k+1 : end])
}

// timeKey: the key's last word (after _ - . or a camelCase hump) is ts,
// time, timestamp, epoch, date or datetime; or the whole key is t or utc.
func timeKey(key []byte) bool {
	if len(key) == 0 {
		return false
	}
	start := 0
	for i := len(key) - 1; i > 0; i-- {
		c := key[i]
		if c == '_' || c == '-' || c == '.' {
			start = i + 1
			break
		}
		if c >= 'A' && c <= 'Z' && key[i-1] >= 'a' && key[i-1] <= 'z' {
			start = i
			break
		}
	}
	last := key[start:]
	switch {
	case equalFold(last, "ts"), equalFold(last, "time"), equalFold(last, "timestamp"), equalFold(last, "epoch"),
		equalFold(last, "date"), equalFold(last, "datetime"), equalFold(last, "unixtime"):
		return true
	case start == 0 && (equalFold(last, "t") || equalFold(last, "utc")):
		return true
	}
	return false
}
