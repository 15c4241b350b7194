package panelsim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "admin")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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
