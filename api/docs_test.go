package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsCoverEveryRoute: docs/api.md has a curl line for every call the
// router serves, names every service endpoint, and documents no call the
// router does not serve.
func TestDocsCoverEveryRoute(t *testing.T) {
	raw, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	h := newHandler(Options{Metrics: http.NotFoundHandler(), UI: http.NotFoundHandler()})
	calls := []string{"auth"}
	for name := range h.calls() {
		calls = append(calls, name)
	}
	slices.Sort(calls)
	for _, name := range calls {
		if !strings.Contains(doc, "$Y/"+name+"/") {
			t.Errorf("docs/api.md has no curl line for %s/ (curl ... $Y/%s/)", name, name)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/bill/api/openapi.json", "/ui/"} {
		if _, pattern := h.mux.Handler(httptest.NewRequest(http.MethodGet, path, nil)); pattern == "/" {
			t.Fatalf("%s is no route: the test's list is out of date", path)
		}
		if !strings.Contains(doc, "`"+path+"`") {
			t.Errorf("docs/api.md does not name %s", path)
		}
	}
	for _, m := range regexp.MustCompile(`\$Y/([a-z_/]+?)/?[ '"]`).FindAllStringSubmatch(doc, -1) {
		req := httptest.NewRequest(http.MethodPost, "/bill/api/"+m[1]+"/", nil)
		if _, pattern := h.mux.Handler(req); pattern == "/" {
			t.Errorf("docs/api.md calls %s/, which the router does not serve", m[1])
		}
	}
}
