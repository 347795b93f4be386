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
			for b.Loop() {
				p := &pts[i&(n-1)]
				if l.Locate(p[0], p[1]).InChina {
					inChina++
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlocates/s")
			if inChina == 0 {
				b.Fatal("no point located in China")
			}
		})
	}
	b.Run("exact-bbox", func(b *testing.B) {
		pts := sets["bbox"]
		i := 0
		for b.Loop() {
			p := &pts[i&(n-1)]
			l.locateExact(p[0], p[1])
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlocates/s")
	})
}

func BenchmarkLoadDefault(b *testing.B) {
	for b.Loop() {
		if _, err := loadDefault(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGCJ02ToWGS84(b *testing.B) {
	for b.Loop() {
		GCJ02ToWGS84(121.531541859215, 31.17530398364597)
	}
}

func BenchmarkWGS84ToGCJ02(b *testing.B) {
	for b.Loop() {
		WGS84ToGCJ02(121.5272106, 31.1774276)
	}
}
