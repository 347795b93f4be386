package geo

import (
	"encoding/json"
	"fmt"
)

// GB/T 2260 provincial codes (first two digits). 71 is Taiwan, 81 Hong Kong,
// 82 Macao: all three are outside mainland China for export law.
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// municipalities report one prefecture code each (XX0100), whatever district
// or county a point falls in.
var municipalities = map[string]bool{"11": true, "12": true, "31": true, "50": true}

// regionOfProvince returns "TW", "HK" or "MO" for those provincial codes and
// "CN" for the mainland ones.
func regionOfProvince(p string) string {
	switch p {
	case "71":
		return "TW"
	case "81":
		return "HK"
	case "82":
		return "MO"
	}
	return "CN"
}

// codeLevel is what a 6-digit GB/T 2260 code names.
type codeLevel uint8

const (
	levelProvince   codeLevel = iota // XX0000
	levelPrefecture                  // XXXX00, or a county-level unit a province administers directly (XX90XX)
	levelCounty                      // any other XXXXXX: reported as its prefecture
)

// parseCode validates a 6-digit GB/T 2260 code and returns its level and the
// prefecture code a point inside it is reported under ("" for a province).
func parseCode(code string) (codeLevel, string, error) {
	if len(code) != 6 {
		return 0, "", fmt.Errorf("adcode %q is not a 6-digit GB/T 2260 code", code)
	}
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, "", fmt.Errorf("adcode %q is not a 6-digit GB/T 2260 code", code)
		}
	}
	p := code[:2]
	if !provinceCodes[p] {
		return 0, "", fmt.Errorf("adcode %q: %s is not a GB/T 2260 province code", code, p)
	}
	switch {
	case code[2:] == "0000":
		return levelProvince, "", nil
	case code[4:] == "00":
		if code[2:4] == "90" {
			return 0, "", fmt.Errorf("adcode %q: %s90 groups directly administered counties and is not itself a region; use the county codes", code, p)
		}
		return levelPrefecture, prefectureFor(code), nil
	case code[2:4] == "90":
		return levelPrefecture, code, nil
	}
	return levelCounty, prefectureFor(code), nil
}

// prefectureFor maps a prefecture- or county-level code to the prefecture
// code reported for it.
func prefectureFor(code string) string {
	p := code[:2]
	if municipalities[p] {
		return p + "0100"
	}
	if code[2:4] == "90" {
		return code
	}
	return code[:4] + "00"
}

// codeFromJSON accepts an adcode written as a JSON string or a number
// (decoded with UseNumber, so 510100 arrives as its digits).
func codeFromJSON(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}
