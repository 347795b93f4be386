package geo

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkLocate measures lookups per second on one core for the shapes of
// input the scanner sees: fleet points clustered in cities, and points spread
// uniformly over China's bounding box (the worst realistic case: most
// boundary length per point). Blocks are warmed before timing, as they are
// after the first few thousand points of a real file.
//
//	go test ./internal/geo -run '^$' -bench Locate -benchtime 2s -cpu 1
func BenchmarkLocate(b *testing.B) {
	l := mustDefault(b)
	rng := rand.New(rand.NewPCG(42, 1))
	const n = 1 << 20
	sets := map[string][][2]float64{
		"cities": clusterPoints(rng, n),
		"bbox":   make([][2]float64, n),
	}
	for i := range sets["bbox"] {
		sets["bbox"][i] = [2]float64{73 + rng.Float64()*62, 18 + rng.Float64()*36}
	}
	for _, name := range []string{"cities", "bbox"} {
		pts := sets[name]
		for _, p := range pts {
			l.Locate(p[0], p[1])
		}
		b.Run(name, func(b *testing.B) {
			inChina := 0
			i := 0
			cpu0 := processCPUSeconds()
			for b.Loop() {
				p := &pts[i&(n-1)]
				if l.Locate(p[0], p[1]).InChina {
					inChina++
				}
				i++
			}
			reportRates(b, cpu0)
			if inChina == 0 {
				b.Fatal("no point located in China")
			}
		})
	}
	b.Run("exact-bbox", func(b *testing.B) {
		pts := sets["bbox"]
		i := 0
		cpu0 := processCPUSeconds()
		for b.Loop() {
			p := &pts[i&(n-1)]
			l.locateExact(p[0], p[1])
			i++
		}
		reportRates(b, cpu0)
	})
}

// reportRates adds millions of operations per wall-clock second and per CPU
// second of this process (see processCPUSeconds).
func reportRates(b *testing.B, cpu0 float64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlocates/s")
	if cpu := processCPUSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu/1e6, "Mlocates/cpu-s")
	}
}

func BenchmarkLoadDefault(b *testing.B) {
	for b.Loop() {
		if _, err := loadDefault(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConversions(b *testing.B) {
	cases := []struct {
		name string
		fn   func(lon, lat float64) (float64, float64)
	}{
		{"WGS84ToGCJ02", WGS84ToGCJ02},
		{"GCJ02ToWGS84-exact", GCJ02ToWGS84},
		{"GCJ02ToWGS84-onestep", gcj02ToWGS84Approx},
		{"BD09ToWGS84-exact", BD09ToWGS84},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			pts := make([][2]float64, 1024)
			for i := range pts {
				pts[i] = [2]float64{74 + rng.Float64()*60, 19 + rng.Float64()*34}
			}
			cpu0 := processCPUSeconds()
			i := 0
			for b.Loop() {
				p := &pts[i&1023]
				c.fn(p[0], p[1])
				i++
			}
			if cpu := processCPUSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu/1e6, "Mconv/cpu-s")
			}
		})
	}
}
