package detect

// China time is UTC+8 with no daylight saving: zone-less local times in
// Chinese data are read in it (and the scanner reports the assumption).
const chinaOffsetMs = 8 * 3600 * 1000

// Plausible epoch window for timestamps: 1990-01-01 to 2100-01-01 (UTC).
// Outside it a number is far more likely an id or a measurement.
const (
	minEpochSec = 631152000
	maxEpochSec = 4102444800
)

// EpochUnit says how a numeric timestamp is scaled.
type EpochUnit uint8

const (
	EpochNone EpochUnit = iota
	EpochSeconds
	EpochMillis
)

// Epoch interprets an integer (optionally with a fraction, dropped) as a Unix
// time in seconds (9-10 digits) or milliseconds (12-13 digits) and returns
// milliseconds, if it falls in the plausible window.
func Epoch(b []byte) (ms int64, unit EpochUnit, ok bool) {
	if len(b) == 13 || len(b) == 10 {
		// The common forms, parsed in one loop without looking for a dot.
		var n int64
		for _, c := range b {
			d := c - '0'
			if d > 9 {
				goto general
			}
			n = n*10 + int64(d)
		}
		if len(b) == 13 && n >= minEpochSec*1000 && n < maxEpochSec*1000 {
			return n, EpochMillis, true
		}
		if len(b) == 10 && n >= minEpochSec && n < maxEpochSec {
			return n * 1000, EpochSeconds, true
		}
		return 0, EpochNone, false
	}
general:
	if dot := indexByte(b, '.'); dot >= 0 {
		if !AllDigits(b[dot+1:]) && dot+1 != len(b) {
			return 0, EpochNone, false
		}
		b = b[:dot]
	}
	n, ok := ParseUint(b)
	if !ok {
		return 0, EpochNone, false
	}
	switch len(b) {
	case 9, 10:
		if n >= minEpochSec && n < maxEpochSec {
			return int64(n) * 1000, EpochSeconds, true
		}
	case 12, 13:
		if n >= minEpochSec*1000 && n < maxEpochSec*1000 {
			return int64(n), EpochMillis, true
		}
	}
	return 0, EpochNone, false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// daysFromCivil is Howard Hinnant's algorithm: days since 1970-01-01.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// num reads 1..max digits at b[i:], returning the value and the next index.
func num(b []byte, i, min, max int) (int, int, bool) {
	n, j := 0, i
	for j < len(b) && j-i < max && b[j] >= '0' && b[j] <= '9' {
		n = n*10 + int(b[j]-'0')
		j++
	}
	if j-i < min {
		return 0, i, false
	}
	return n, j, true
}

// ParseDateTime parses a whole value as a calendar timestamp:
//
//	2008-10-26T05:59:34Z, 2008-10-26 05:59:34.123+08:00, 2008/10/26 05:59,
//	2008.10.26, 2008-10-26, 20081026053934, 20081026,
//	2024年3月1日 12:00:00, 2024年03月01日12时00分00秒
//
// It returns Unix milliseconds and whether the value carried a zone; a
// zone-less value is read as China time.
func ParseDateTime(b []byte) (ms int64, zoned bool, ok bool) {
	ms, zoned, n, ok := MatchDateTime(b)
	if !ok || n != len(b) {
		return 0, false, false
	}
	return ms, zoned, true
}

// MatchDateTime matches a timestamp at the start of b (see ParseDateTime)
// and returns its length.
func MatchDateTime(b []byte) (ms int64, zoned bool, n int, ok bool) {
	if len(b) < 8 {
		return 0, false, 0, false
	}
	var y, mo, d, h, mi, s, frac int
	i := 0
	var good bool
	// Compact forms: YYYYMMDD or YYYYMMDDhhmmss, not inside a longer digit run.
	if AllDigitsN(b, 8) {
		switch {
		case AllDigitsN(b, 14) && (len(b) == 14 || !isDigit(b[14])):
			y, mo, d = atoi(b[0:4]), atoi(b[4:6]), atoi(b[6:8])
			h, mi, s = atoi(b[8:10]), atoi(b[10:12]), atoi(b[12:14])
			i = 14
		case len(b) == 8 || !isDigit(b[8]):
			y, mo, d = atoi(b[0:4]), atoi(b[4:6]), atoi(b[6:8])
			i = 8
		default:
			return 0, false, 0, false
		}
		if y < 1900 || y > 2099 || !validDate(y, mo, d) || h > 23 || mi > 59 || s > 60 {
			return 0, false, 0, false
		}
		return civilMs(y, mo, d, h, mi, s, 0) - chinaOffsetMs, false, i, true
	}
	y, i, good = num(b, 0, 4, 4)
	if !good || i >= len(b) {
		return 0, false, 0, false
	}
	chinese := false
	sep := b[i]
	switch {
	case sep == '-' || sep == '/' || sep == '.':
		i++
	case hasPrefix(b[i:], "年"):
		chinese = true
		i += len("年")
	default:
		return 0, false, 0, false
	}
	if mo, i, good = num(b, i, 1, 2); !good {
		return 0, false, 0, false
	}
	if chinese {
		if !hasPrefix(b[i:], "月") {
			return 0, false, 0, false
		}
		i += len("月")
	} else {
		if i >= len(b) || b[i] != sep {
			return 0, false, 0, false
		}
		i++
	}
	if d, i, good = num(b, i, 1, 2); !good {
		return 0, false, 0, false
	}
	if chinese {
		if hasPrefix(b[i:], "日") {
			i += len("日")
		} else if hasPrefix(b[i:], "号") {
			i += len("号")
		} else {
			return 0, false, 0, false
		}
	}
	if y < 1900 || y > 2099 || !validDate(y, mo, d) {
		return 0, false, 0, false
	}
	end := i
	// Optional time of day.
	j := i
	if j < len(b) && (b[j] == 'T' || b[j] == ' ') {
		j++
	}
	if hh, k, good := num(b, j, 1, 2); good && k < len(b) {
		var mm, ss int
		switch {
		case b[k] == ':':
			if mm, k, good = num(b, k+1, 2, 2); good {
				if k+1 < len(b) && b[k] == ':' {
					if ss, k, good = num(b, k+1, 2, 2); !good {
						break
					}
					if k+1 < len(b) && (b[k] == '.' || b[k] == ',') && isDigit(b[k+1]) {
						var fr, k2 int
						fr, k2, _ = num(b, k+1, 1, 9)
						frac = fracMs(fr, k2-(k+1))
						k = k2
					}
				}
				if hh <= 23 && mm <= 59 && ss <= 60 {
					h, mi, s, end = hh, mm, ss, k
				}
			}
		case chinese && hasPrefix(b[k:], "时"):
			k += len("时")
			if mm, k2, good2 := num(b, k, 1, 2); good2 && hasPrefix(b[k2:], "分") {
				k = k2 + len("分")
				if ss, k3, good3 := num(b, k, 1, 2); good3 && hasPrefix(b[k3:], "秒") {
					k = k3 + len("秒")
					s = ss
				}
				mi = mm
			}
			if hh <= 23 && mi <= 59 && s <= 60 {
				h, end = hh, k
			} else {
				mi, s = 0, 0
			}
		}
	}
	ms = civilMs(y, mo, d, h, mi, s, frac)
	// Optional zone: Z, +hh:mm, +hhmm, +hh (only after a time of day).
	if end > i && end < len(b) {
		switch c := b[end]; {
		case c == 'Z' || c == 'z':
			return ms, true, end + 1, true
		case c == '+' || c == '-':
			oh, k, good := num(b, end+1, 2, 2)
			if good {
				om := 0
				if k < len(b) && b[k] == ':' {
					if om, k, good = num(b, k+1, 2, 2); !good {
						break
					}
				} else if m2, k2, good2 := num(b, k, 2, 2); good2 {
					om, k = m2, k2
				}
				if oh <= 14 && om <= 59 {
					off := int64(oh*3600+om*60) * 1000
					if c == '-' {
						off = -off
					}
					return ms - off, true, k, true
				}
			}
		}
	}
	return ms - chinaOffsetMs, false, end, true
}

func fracMs(v, digits int) int {
	for digits > 3 {
		v /= 10
		digits--
	}
	for digits < 3 {
		v *= 10
		digits++
	}
	return v
}

// civilMs is the Unix time in ms of a civil time read as UTC.
func civilMs(y, mo, d, h, mi, s, ms int) int64 {
	return (daysFromCivil(y, mo, d)*86400+int64(h*3600+mi*60+s))*1000 + int64(ms)
}

// CivilMs is exported for readers that assemble a time from parts (PLT).
func CivilMs(y, mo, d, h, mi, s, ms int) int64 { return civilMs(y, mo, d, h, mi, s, ms) }

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// AllDigitsN reports whether b has at least n bytes and the first n are digits.
func AllDigitsN(b []byte, n int) bool {
	if len(b) < n {
		return false
	}
	for _, c := range b[:n] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
