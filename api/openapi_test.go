package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesCalls keeps api/openapi.json in step with the routes:
// every call has a POST operation at /bill/api/NAME/, and every /bill/api
// path the document names is a call (or the document itself).
func TestOpenAPIMatchesCalls(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: got %q, want 3.0.3", doc.OpenAPI)
	}
	calls := (&handler{}).calls()
	names := make([]string, 0, len(calls))
	for name := range calls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := "/bill/api/" + name + "/"
		item, ok := doc.Paths[path]
		if !ok {
			t.Errorf("call %s: no path %s in openapi.json", name, path)
			continue
		}
		if _, ok := item["post"]; !ok {
			t.Errorf("path %s: no post operation", path)
		}
		for method := range item {
			switch method {
			case "post", "summary", "description", "parameters", "servers":
			default:
				t.Errorf("path %s: operation %s, but calls are POST only", path, method)
			}
		}
	}
	for path := range doc.Paths {
		rest, ok := strings.CutPrefix(path, "/bill/api/")
		if !ok || path == "/bill/api/openapi.json" {
			continue
		}
		name, ok := strings.CutSuffix(rest, "/")
		if _, known := calls[name]; !ok || !known {
			t.Errorf("path %s in openapi.json is not a registered call", path)
		}
	}
}

// TestOpenAPIServed checks the document is served at GET /bill/api/openapi.json.
func TestOpenAPIServed(t *testing.T) {
	h := NewHandler(Options{})
	req := httptest.NewRequest(http.MethodGet, "/bill/api/openapi.json", nil)
	req.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), openAPI) {
		t.Fatalf("got %d and %d bytes, want 200 and the embedded document", rec.Code, rec.Body.Len())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type: got %q", ct)
	}
}
