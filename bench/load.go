package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Post sends one JSON call and returns its status and body.
func Post(c *http.Client, url, body string) (int, []byte, error) {
	resp, err := c.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// Load is the outcome of a burst of calls.
type Load struct {
	Took      time.Duration
	Latencies []time.Duration
}

// PerSecond is the throughput.
func (l Load) PerSecond() float64 { return float64(len(l.Latencies)) / l.Took.Seconds() }

// Hammer makes n calls to url from workers concurrent clients, the i-th
// with bodyFor(i); any answer but 200 stops it with an error.
func Hammer(c *http.Client, url string, workers, n int, bodyFor func(i int) string) (Load, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				t := time.Now()
				status, body, err := Post(c, url, bodyFor(i))
				lat[i] = time.Since(t)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("bench: %s: %d %s", url, status, body)
				}
				if err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	l := Load{Took: time.Since(start), Latencies: lat}
	if err, _ := failed.Load().(error); err != nil {
		return l, err
	}
	return l, nil
}

// NewHTTPClient keeps enough idle connections for workers.
func NewHTTPClient(workers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = workers
	tr.MaxIdleConns = workers
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}
