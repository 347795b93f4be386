package detect

// mobilePrefix marks valid first three digits (1xy) of mainland mobile
// numbers, indexed by the 2nd and 3rd digit: 13x, 14[5-9], 15[0-35-9],
// 16[2567], 17[0-8], 18x, 19[0-35-9] (MIIT number plan, carriers and MVNOs).
var mobilePrefix = func() (t [10][10]bool) {
	set := func(second int, thirds string) {
		for i := 0; i < len(thirds); i++ {
			t[second][thirds[i]-'0'] = true
		}
	}
	set(3, "0123456789")
	set(4, "56789")
	set(5, "012356789")
	set(6, "2567")
	set(7, "012345678")
	set(8, "0123456789")
	set(9, "012356789")
	return
}()

// CheckMobile validates exactly 11 digits as a mainland mobile number.
func CheckMobile(v []byte) bool {
	if len(v) != 11 || v[0] != '1' {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return mobilePrefix[v[1]-'0'][v[2]-'0']
}

// NormalizeMobile accepts a whole field holding a mobile number in a common
// written form: optional +86 / 0086 / 86 prefix, optional single spaces or
// dashes in the 3-4-4 grouping. It writes the 11 digits to dst and reports
// whether the value is a mobile number.
func NormalizeMobile(v []byte, dst *[11]byte) bool {
	i := 0
	switch {
	case len(v) >= 3 && v[0] == '+' && v[1] == '8' && v[2] == '6':
		i = 3
	case len(v) >= 4 && v[0] == '0' && v[1] == '0' && v[2] == '8' && v[3] == '6':
		i = 4
	case len(v) == 13 && v[0] == '8' && v[1] == '6':
		i = 2
	}
	for i < len(v) && (v[i] == ' ' || v[i] == '-') && i > 0 {
		i++
	}
	n := 0
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			if n == 11 {
				return false
			}
			dst[n] = c
			n++
		case (c == ' ' || c == '-') && (n == 3 || n == 7) && i+1 < len(v) && v[i+1] >= '0' && v[i+1] <= '9':
		default:
			return false
		}
	}
	return n == 11 && CheckMobile(dst[:])
}
