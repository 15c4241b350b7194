package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve sends one request and returns the recorder.
func serve(h http.Handler, method, path, remote, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.RemoteAddr = remote
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestBlankBearer: a header holding only whitespace, Unicode spaces
// included, never matches, even a blank token that slipped past the config.
func TestBlankBearer(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := NewHandler(Options{Tokens: plain("", " ", "\u00a0", "\u0085"), Log: quiet})
	for _, auth := range []string{"Bearer ", "Bearer  ", "Bearer \u00a0", "Bearer \u0085", "Bearer \t\u00a0\u0085 ", "Bearer"} {
		rec := serve(h, http.MethodGet, "/bill/api/openapi.json", "192.0.2.1:1", auth)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%q: got %d, want 401", auth, rec.Code)
		}
	}
}

// TestUnknownPathNeedsToken: without a token an unknown path is a 401, so a
// scan learns nothing about which paths exist.
func TestUnknownPathNeedsToken(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := NewHandler(Options{Tokens: plain("secret-one"), Log: quiet})
	for _, p := range []string{"/nope", "/bill/api/nope/", "/bill/api/", "/metrics"} {
		if rec := serve(h, http.MethodPost, p, "192.0.2.1:1", ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without token: got %d, want 401", p, rec.Code)
		}
		if rec := serve(h, http.MethodPost, p, "192.0.2.1:1", "Bearer secret-one"); rec.Code != http.StatusNotFound {
			t.Errorf("%s with token: got %d, want 404", p, rec.Code)
		}
	}
}

// TestMethodNotAllowed: the GET endpoints answer other methods with 405 and
// an Allow header instead of falling through to the 404 catch-all.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := NewHandler(Options{Metrics: http.NotFoundHandler(), Log: quiet})
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/bill/api/openapi.json"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, "PROPFIND"} {
			rec := serve(h, m, p, "127.0.0.1:1", "")
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: got %d, want 405", m, p, rec.Code)
				continue
			}
			if allow := rec.Header().Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", m, p, allow)
			}
			if !strings.Contains(rec.Body.String(), `"error"`) {
				t.Errorf("%s %s: body %q is not a JSON error", m, p, rec.Body.String())
			}
		}
	}
	if rec := serve(h, http.MethodHead, "/healthz", "127.0.0.1:1", ""); rec.Code != http.StatusOK {
		t.Errorf("HEAD /healthz: got %d, want 200", rec.Code)
	}
}
