// Package gen writes synthetic data with known truth: telemetry CSV for the
// scanner's benchmarks and tests, and small samples for the bundled example.
// Everything is derived from a seed, so a file can be regenerated exactly.
package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/xborder/xborder/internal/model"
	"github.com/xborder/xborder/internal/scan/detect"
)

// City is a place vehicles operate around (WGS-84 centre).
type City struct {
	Name       string
	Lon, Lat   float64
	Province   string // GB/T 2260 two-digit code; "" outside the mainland
	Prefecture string
	Plate      string // plate province character
	Jitter     float64
	Mainland   bool
}

// Cities are prefecture seats well inside their prefectures; points are
// spread uniformly within ±Jitter degrees (about 5 km), small enough to stay
// on land and inside the prefecture. Hong Kong vehicles are outside the
// mainland and carry cross-border 粤Z…港 plates.
var Cities = []City{
	{"Beijing", 116.40, 39.90, "11", "110100", "京", 0.05, true},
	{"Shanghai", 121.40, 31.20, "31", "310100", "沪", 0.05, true},
	{"Guangzhou", 113.30, 23.15, "44", "440100", "粤", 0.05, true},
	{"Shenzhen", 114.05, 22.66, "44", "440300", "粤", 0.04, true},
	{"Chengdu", 104.07, 30.67, "51", "510100", "川", 0.05, true},
	{"Chongqing", 106.52, 29.56, "50", "500100", "渝", 0.05, true},
	{"Wuhan", 114.30, 30.59, "42", "420100", "鄂", 0.05, true},
	{"Xi'an", 108.94, 34.34, "61", "610100", "陕", 0.05, true},
	{"Hangzhou", 120.16, 30.27, "33", "330100", "浙", 0.05, true},
	{"Nanjing", 118.80, 32.06, "32", "320100", "苏", 0.05, true},
	{"Tianjin", 117.20, 39.13, "12", "120100", "津", 0.05, true},
	{"Zhengzhou", 113.62, 34.75, "41", "410100", "豫", 0.05, true},
	{"Changsha", 112.94, 28.23, "43", "430100", "湘", 0.05, true},
	{"Shenyang", 123.43, 41.80, "21", "210100", "辽", 0.05, true},
	{"Harbin", 126.53, 45.80, "23", "230100", "黑", 0.05, true},
	{"Kunming", 102.71, 25.04, "53", "530100", "云", 0.05, true},
	{"Hefei", 117.23, 31.82, "34", "340100", "皖", 0.05, true},
	{"Jinan", 117.00, 36.65, "37", "370100", "鲁", 0.05, true},
	{"Taiyuan", 112.55, 37.87, "14", "140100", "晋", 0.05, true},
	{"Urumqi", 87.62, 43.83, "65", "650100", "新", 0.05, true},
	{"Lhasa", 91.11, 29.65, "54", "540100", "藏", 0.03, true},
	{"Hohhot", 111.75, 40.84, "15", "150100", "蒙", 0.05, true},
	{"Nanning", 108.37, 22.82, "45", "450100", "桂", 0.05, true},
	{"Guiyang", 106.63, 26.65, "52", "520100", "贵", 0.05, true},
	{"Lanzhou", 103.83, 36.06, "62", "620100", "甘", 0.05, true},
	{"Shijiazhuang", 114.51, 38.04, "13", "130100", "冀", 0.05, true},
	{"Fuzhou", 119.30, 26.08, "35", "350100", "闽", 0.04, true},
	{"Nanchang", 115.86, 28.68, "36", "360100", "赣", 0.05, true},
	{"Changchun", 125.32, 43.82, "22", "220100", "吉", 0.05, true},
	{"Yinchuan", 106.23, 38.49, "64", "640100", "宁", 0.05, true},
	{"Xining", 101.78, 36.62, "63", "630100", "青", 0.04, true},
	{"Haikou", 110.33, 19.99, "46", "460100", "琼", 0.03, true},
	{"Hong Kong", 114.17, 22.33, "", "", "粤", 0.015, false},
}

// TelemetryOptions shape a synthetic telemetry file.
type TelemetryOptions struct {
	Seed int64
	// Size is the target size in bytes (rows are added until it is reached);
	// Rows, if set, is the exact number of rows instead.
	Size int64
	Rows int64
	// Fleet is the number of vehicles (default 200,000).
	Fleet int
	// Start is the first timestamp (default 2026-01-01 00:00 China time);
	// Days is the span the rows cover (default 30).
	Start time.Time
	Days  float64
	// HKShare is the share of the fleet based in Hong Kong (default 1%).
	HKShare float64
}

// Truth is what the generated file holds, computed while writing it.
type Truth struct {
	Schema          string   `json:"schema"`
	Seed            int64    `json:"seed"`
	Rows            int64    `json:"rows"`
	Bytes           int64    `json:"bytes"`
	Fleet           int      `json:"fleet"`
	DistinctVINs    int      `json:"distinct_vins"`
	DistinctPlates  int      `json:"distinct_plates"`
	VehiclesInChina int      `json:"vehicles_in_china"`
	VehiclesOutside int      `json:"vehicles_outside_mainland"`
	PointsMainland  int64    `json:"points_mainland"`
	PointsOutside   int64    `json:"points_outside_mainland"`
	First           string   `json:"first"`
	Last            string   `json:"last"`
	SpanDays        float64  `json:"span_days"`
	Provinces       []string `json:"provinces"`
	Prefectures     []string `json:"prefectures"`
	Columns         []string `json:"columns"`
	Notes           []string `json:"notes"`
}

// TruthSchema tags the truth file.
const TruthSchema = "xborder.gen.truth/v1"

type vehicle struct {
	vin   [17]byte
	plate []byte
	city  uint8
}

const vinChars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

var wmis = []string{"LRW", "LSG", "LFV", "LBV", "LGW", "LVS", "LSV", "LDC", "LZW", "LNB", "LGX", "LHG"}

const plateSerial = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

// makeFleet builds vehicles with valid, distinct VINs (the six-digit serial
// is the vehicle's index) and distinct plates.
func makeFleet(r *rand.Rand, n int, hkShare float64) ([]vehicle, error) {
	if n < 1 || n > 1000000 {
		return nil, fmt.Errorf("fleet must be 1 to 1,000,000 vehicles, got %d", n)
	}
	fleet := make([]vehicle, n)
	plates := make(map[string]bool, n)
	mainland := len(Cities) - 1
	for i := range fleet {
		v := &fleet[i]
		copy(v.vin[:3], wmis[r.IntN(len(wmis))])
		for k := 3; k < 8; k++ {
			v.vin[k] = vinChars[r.IntN(len(vinChars))]
		}
		v.vin[9] = "KLMNPRST"[r.IntN(8)] // model years 2019-2026
		v.vin[10] = vinChars[r.IntN(23)]
		s := strconv.Itoa(1000000 + i)[1:]
		copy(v.vin[11:], s)
		v.vin[8] = '0'
		v.vin[8] = detect.VINCheckDigit(v.vin[:])
		if r.Float64() < hkShare {
			v.city = uint8(mainland)
		} else {
			v.city = uint8(r.IntN(mainland))
		}
		c := Cities[v.city]
		for {
			p := []byte(c.Plate)
			if !c.Mainland {
				p = append(p, 'Z')
				for k := 0; k < 4; k++ {
					p = append(p, "0123456789"[r.IntN(10)])
				}
				p = append(p, "港"...)
			} else {
				p = append(p, "ABCDEFGH"[r.IntN(8)])
				if r.IntN(10) == 0 {
					// New-energy small plate: D or F, a letter or digit, 4 digits.
					p = append(p, "DF"[r.IntN(2)], plateSerial[r.IntN(len(plateSerial)-10)+0])
					if p[len(p)-1] == 'O' || p[len(p)-1] == 'I' {
						p[len(p)-1] = '8'
					}
					for k := 0; k < 4; k++ {
						p = append(p, "0123456789"[r.IntN(10)])
					}
				} else {
					for k := 0; k < 5; k++ {
						ch := plateSerial[r.IntN(len(plateSerial))]
						if ch == 'O' || ch == 'I' {
							ch = '0'
						}
						p = append(p, ch)
					}
				}
			}
			if !plates[string(p)] {
				plates[string(p)] = true
				v.plate = p
				break
			}
		}
	}
	return fleet, nil
}

var events = []string{"drive", "park", "charge", "idle", "start", "stop"}

// Telemetry writes a CSV with header
// ts_ms,vin,plate,lat,lon,speed,soc,event and returns its truth.
func Telemetry(w io.Writer, opt TelemetryOptions) (*Truth, error) {
	if opt.Fleet == 0 {
		opt.Fleet = 200000
	}
	if opt.Start.IsZero() {
		opt.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, model.ChinaTZ)
	}
	if opt.Days <= 0 {
		opt.Days = 30
	}
	if opt.HKShare == 0 {
		opt.HKShare = 0.01
	}
	if opt.Rows <= 0 && opt.Size <= 0 {
		return nil, fmt.Errorf("give a size or a number of rows")
	}
	r := rand.New(rand.NewPCG(uint64(opt.Seed), 0x9e3779b97f4a7c15))
	fleet, err := makeFleet(r, opt.Fleet, opt.HKShare)
	if err != nil {
		return nil, err
	}
	estRows := opt.Rows
	if estRows <= 0 {
		estRows = opt.Size / 80
		if estRows < 1 {
			estRows = 1
		}
	}
	spanMs := opt.Days * 86400000
	step := spanMs / float64(estRows)
	bw := bufio.NewWriterSize(w, 1<<20)
	header := "ts_ms,vin,plate,lat,lon,speed,soc,event\n"
	bw.WriteString(header)
	t := &Truth{Schema: TruthSchema, Seed: opt.Seed, Fleet: opt.Fleet, Bytes: int64(len(header)),
		Columns: []string{"ts_ms", "vin", "plate", "lat", "lon", "speed", "soc", "event"}}
	seen := make([]bool, len(fleet))
	cityPts := make([]int64, len(Cities))
	ts := float64(opt.Start.UnixMilli())
	first := int64(ts)
	var last int64
	buf := make([]byte, 0, 160)
	for {
		if opt.Rows > 0 && t.Rows >= opt.Rows {
			break
		}
		if opt.Rows <= 0 && t.Bytes >= opt.Size {
			break
		}
		vi := r.IntN(len(fleet))
		v := &fleet[vi]
		c := &Cities[v.city]
		ms := int64(ts)
		lat := c.Lat + (r.Float64()*2-1)*c.Jitter
		lon := c.Lon + (r.Float64()*2-1)*c.Jitter
		buf = buf[:0]
		buf = strconv.AppendInt(buf, ms, 10)
		buf = append(buf, ',')
		buf = append(buf, v.vin[:]...)
		buf = append(buf, ',')
		buf = append(buf, v.plate...)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, lat, 'f', 6, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, lon, 'f', 6, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, float64(r.IntN(1200))/10, 'f', 1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(5+r.IntN(96)), 10)
		buf = append(buf, ',')
		buf = append(buf, events[r.IntN(len(events))]...)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return nil, err
		}
		t.Bytes += int64(len(buf))
		t.Rows++
		seen[vi] = true
		cityPts[v.city]++
		if c.Mainland {
			t.PointsMainland++
		} else {
			t.PointsOutside++
		}
		last = ms
		ts += r.Float64() * 2 * step
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	provs, prefs := map[string]bool{}, map[string]bool{}
	for i, v := range fleet {
		if !seen[i] {
			continue
		}
		t.DistinctVINs++
		t.DistinctPlates++ // plates are distinct per vehicle by construction
		if Cities[v.city].Mainland {
			t.VehiclesInChina++
		} else {
			t.VehiclesOutside++
		}
	}
	for i, n := range cityPts {
		if n > 0 && Cities[i].Mainland {
			provs[Cities[i].Province] = true
			prefs[Cities[i].Prefecture] = true
		}
	}
	t.Provinces, t.Prefectures = keys(provs), keys(prefs)
	t.First = time.UnixMilli(first).In(model.ChinaTZ).Format(time.RFC3339)
	t.Last = time.UnixMilli(last).In(model.ChinaTZ).Format(time.RFC3339)
	t.SpanDays = float64(last-first) / 86400000
	t.Notes = []string{
		"Coordinates are WGS-84, within about 5 km of each city's centre; Hong Kong vehicles are outside the mainland.",
		"Every VIN passes the ISO 3779 check digit; plates are distinct per vehicle (10% new-energy).",
		"Timestamps are Unix milliseconds (UTC); the span covers about the requested days.",
	}
	return t, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
