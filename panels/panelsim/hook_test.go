package panelsim_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"yardsync/panels/panelsim"
)

// A hook holds a request in flight; a second request meanwhile is counted as
// an overlap, and the hook sees both.
func TestHookAndInFlight(t *testing.T) {
	p := panelsim.New(panelsim.Sokol, panelsim.Options{})
	base := serve(t, p)
	arrived, release := make(chan panelsim.Request, 2), make(chan struct{})
	p.SetHook(func(ctx context.Context, req panelsim.Request) {
		arrived <- req
		if req.Method == http.MethodPut {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Not call: t.Fatal must not run outside the test's goroutine.
		req, _ := http.NewRequest(http.MethodPut, base+"/key/store/merge", strings.NewReader(`[]`))
		req.SetBasicAuth("admin", "admin")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if got := <-arrived; got.Method != http.MethodPut {
		t.Fatalf("first request: got %+v", got)
	}
	if p.MaxInFlight() != 1 {
		t.Fatalf("got %d in flight, want 1", p.MaxInFlight())
	}
	if status, _ := call(t, http.MethodGet, base+"/key/store", "", ""); status != http.StatusOK {
		t.Fatalf("list during a held write: got %d", status)
	}
	<-arrived
	close(release)
	wg.Wait()
	if got := p.MaxInFlight(); got != 2 {
		t.Fatalf("got max in flight %d, want 2", got)
	}
	p.SetHook(nil)
	if status, _ := call(t, http.MethodGet, base+"/key/store", "", ""); status != http.StatusOK {
		t.Fatalf("without hook: got %d", status)
	}
}
