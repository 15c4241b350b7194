package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yardsync/reconcile"
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

// TestDocsPanelFields: every field panels/ answers with (reconcile.PanelStatus)
// is in the OpenAPI schema and, unless omitted when empty, in docs/api.md's
// example, and the schema's family enum holds every family name.
func TestDocsPanelFields(t *testing.T) {
	raw, err := json.Marshal(reconcile.PanelStatus{})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, _ := strings.Cut(string(doc), "### panels/")
	example, _, _ = strings.Cut(example, "\n## ")
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &spec); err != nil {
		t.Fatal(err)
	}
	schema := spec.Components.Schemas["PanelStatus"].Properties
	for name := range fields {
		if _, ok := schema[name]; !ok {
			t.Errorf("openapi.json's PanelStatus lacks %q", name)
		}
		if !strings.Contains(example, `"`+name+`":`) {
			t.Errorf("docs/api.md's panels/ example lacks %q", name)
		}
	}
	for _, f := range append(slices.Collect(maps.Values(reconcile.DefaultFamilies())), "unknown") {
		if !slices.Contains(schema["family"].Enum, f) {
			t.Errorf("openapi.json's PanelStatus family enum lacks %q", f)
		}
	}
}
