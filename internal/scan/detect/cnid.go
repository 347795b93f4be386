package detect

// idWeights are the ISO 7064 MOD 11-2 weights of GB 11643.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheck = "10X98765432"

// provincePrefix lists the two-digit GB/T 2260 prefixes that resident ID
// numbers start with: the 31 mainland provincial units, plus 71/81/82/83
// used by Taiwan, Hong Kong and Macao residents' residence permits.
var provincePrefix = func() (t [100]bool) {
	for _, p := range []int{11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
		41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83} {
		t[p] = true
	}
	return
}()

// CheckCNID validates an 18-character resident identity number: a known
// province prefix (the county part is not checked, since retired county codes
// stay on issued cards), a real birth date between 1900 and 2099, and the
// MOD 11-2 check character (X in either case).
func CheckCNID(v []byte) bool {
	if len(v) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * idWeights[i]
	}
	last := v[17]
	if last == 'x' {
		last = 'X'
	}
	if last != idCheck[sum%11] {
		return false
	}
	if !provincePrefix[int(v[0]-'0')*10+int(v[1]-'0')] {
		return false
	}
	y := atoi(v[6:10])
	m := atoi(v[10:12])
	d := atoi(v[12:14])
	return y >= 1900 && y <= 2099 && validDate(y, m, d)
}

func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// CNIDCheckChar returns the check character for the first 17 digits, for
// tests and the generator; 0 for bad input.
func CNIDCheckChar(first17 []byte) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i, c := range first17 {
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheck[sum%11]
}
