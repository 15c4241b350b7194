package panelsim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"yardsync/panels/panelsim"
)

// serve starts p on a real listener and returns its base URL.
func serve(t *testing.T, p *panelsim.Panel) string {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.Close)
	return srv.URL
}

// call sends one request with admin/admin and returns status and body.
func call(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	status, answer, err := send(method, url, contentType, body, 0)
	if err != nil {
		t.Fatal(err)
	}
	return status, answer
}

// send is call for a request that may get no answer: a timeout (0: none)
// or a transport error is returned.
func send(method, url, contentType, body string, timeout time.Duration) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth("admin", "admin")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

type exchange struct {
	method, path, contentType, body string
	status                          int
	want                            string // exact answer body
}

func run(t *testing.T, base string, steps []exchange) {
	t.Helper()
	for _, s := range steps {
		status, body := call(t, s.method, base+s.path, s.contentType, s.body)
		if status != s.status || body != s.want {
			t.Errorf("%s %s %s:\n got %d %q\nwant %d %q", s.method, s.path, s.body, status, body, s.status, s.want)
		}
	}
}
