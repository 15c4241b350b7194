package panels_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yardsync/panels/panelsim"
)

// BenchmarkAddKeys adds batches of 100 new keys to one emulated panel of each
// family over real HTTP, at 0 ms and 20 ms of emulated latency per request,
// and reports keys per second.
func BenchmarkAddKeys(b *testing.B) {
	const batch = 100
	for _, f := range families {
		for _, lat := range []time.Duration{0, 20 * time.Millisecond} {
			b.Run(f.sim+"/"+latName(lat), func(b *testing.B) {
				sim, c := startPanel(b, f.sim, f.kind, panelsim.Options{Faults: panelsim.Faults{Latency: lat}}, 10*time.Second)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					sim.SetKeys(nil)
					keys := makeKeys(batch, i*batch)
					b.StartTimer()
					if err := c.AddKeys(context.Background(), keys); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "keys/s")
			})
		}
	}
}

func latName(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// BenchmarkListKeys lists one emulated panel of each conformance family
// holding 90 keys (a no-op run's per-panel work) over real HTTP, latency 0:
// the client's CPU per listing, the emulator's included.
func BenchmarkListKeys(b *testing.B) {
	for _, f := range conformance {
		b.Run(f.sim, func(b *testing.B) {
			sim, c := startPanel(b, f.sim, f.kind, panelsim.Options{}, 10*time.Second)
			sim.SetKeys(makeKeys(90, 0))
			if _, err := c.ListKeys(context.Background()); err != nil { // probes, Digest challenge
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := c.ListKeys(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
