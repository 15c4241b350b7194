package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"yardsync/reconcile"
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
		if !ok || path == "/bill/api/openapi.json" || path == "/bill/api/auth/" {
			continue
		}
		name, ok := strings.CutSuffix(rest, "/")
		if _, known := calls[name]; !ok || !known {
			t.Errorf("path %s in openapi.json is not a registered call", path)
		}
	}
}

// TestOpenAPIDocumentsAuth: auth/ (served outside the calls table) and the
// bearer scheme are in the document.
func TestOpenAPIDocumentsAuth(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type   string `json:"type"`
				Scheme string `json:"scheme"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/bill/api/auth/"]["post"]; !ok {
		t.Error("no POST /bill/api/auth/ in openapi.json")
	}
	if s := doc.Components.SecuritySchemes["bearerAuth"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearerAuth: got %+v, want http bearer", s)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/bill/api/openapi.json"} {
		var get struct {
			Responses map[string]json.RawMessage `json:"responses"`
		}
		if err := json.Unmarshal(doc.Paths[p]["get"], &get); err != nil || get.Responses["405"] == nil {
			t.Errorf("%s: no 405 documented (%v)", p, err)
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

// TestOpenAPIRequestFields keeps each call's request schema in step with the
// request struct its handler decodes: a field the handler reads is
// documented, and a documented field is read.
func TestOpenAPIRequestFields(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema json.RawMessage `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	requests := map[string]struct {
		typ  any
		skip string // a struct field the call does not take
	}{
		"devices_add": {deviceRequest{}, "device_id"}, "devices_mod": {deviceRequest{}, ""},
		"doors_add": {doorRequest{}, "doors_id"}, "doors_mod": {doorRequest{}, ""},
		"rights_add": {rightsRequest{}, ""}, "rights_del": {rightsRequest{}, ""},
		"keys_add": {keyRequest{}, ""}, "keys_del": {keyRequest{}, "comment"},
		"keys_list": {uidRequest{}, ""}, "rights_list": {uidRequest{}, ""}, "cams": {uidRequest{}, ""},
		"uids": {phoneRequest{}, ""}, "billing_list": {phoneRequest{}, ""}, "sync": {syncRequest{}, ""},
		"users/clients/create": {uidRequest{}, ""}, "users/clients/delete": {uidRequest{}, ""},
		"explain": {uidRequest{}, ""}, "log": {logRequest{}, ""}, "panels": {panelsRequest{}, ""},
	}
	for call, req := range requests {
		raw := doc.Paths["/bill/api/"+call+"/"]["post"].RequestBody.Content["application/json"].Schema
		var schema struct {
			Ref        string                     `json:"$ref"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		_ = json.Unmarshal(raw, &schema)
		if name, ok := strings.CutPrefix(schema.Ref, "#/components/schemas/"); ok {
			_ = json.Unmarshal(doc.Components.Schemas[name], &schema)
		}
		if len(schema.Properties) == 0 {
			t.Errorf("%s: no request properties in the document", call)
			continue
		}
		typ := reflect.TypeOf(req.typ)
		fields := map[string]bool{}
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != req.skip {
				fields[name] = true
			}
		}
		for name := range fields {
			if _, ok := schema.Properties[name]; !ok {
				t.Errorf("%s: the handler reads %q, the document does not list it", call, name)
			}
		}
		for name := range schema.Properties {
			if !fields[name] {
				t.Errorf("%s: the document lists %q, the handler does not read it", call, name)
			}
		}
	}
}

// TestOpenAPIRunSummary keeps the RunSummary schema (sync/ with wait) in
// step with reconcile.SyncAnswer: every field it encodes is documented, and
// every status a run can answer is in the enum.
func TestOpenAPIRunSummary(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				RunSummary struct {
					Properties map[string]struct {
						Enum []string `json:"enum"`
					} `json:"properties"`
				} `json:"RunSummary"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas.RunSummary.Properties
	fields := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeFor[reconcile.Summary](), reflect.TypeFor[reconcile.SyncAnswer]()} {
		for i := range typ.NumField() {
			if typ.Field(i).Anonymous {
				continue
			}
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			fields[name] = true
			if _, ok := props[name]; !ok {
				t.Errorf("sync/ answers %q, RunSummary does not list it", name)
			}
		}
	}
	for name := range props {
		if !fields[name] {
			t.Errorf("RunSummary lists %q, sync/ does not answer it", name)
		}
	}
	statuses := []string{reconcile.StatusOK, reconcile.StatusPartial, reconcile.StatusGuarded, reconcile.StatusFailed, reconcile.StatusRunning}
	if got := props["status"].Enum; !reflect.DeepEqual(sortedCopy(got), sortedCopy(statuses)) {
		t.Errorf("RunSummary status enum: got %v, want %v", got, statuses)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
