package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestAXbillsReplayWithLogin replays the AXbills session of TestAXbillsReplay
// as the module really runs it against a yardsync with api.users: over a
// real listener, from a non-loopback address, each call preceded by its own
// auth/ with the body the module sends, and sent with the token it got.
// Every answer must match the session byte for byte; the store holds one
// token for all those logins.
func TestAXbillsReplayWithLogin(t *testing.T) {
	t.Parallel()
	s := newServer(t, func(o *Options) {
		o.Users = withoutRoles(map[string]string{"axbills": mustHash(t, "the password", bcrypt.MinCost)})
		o.TokenStore = o.Store.(TokenStore) // the store.DB newServer made keeps tokens too
	})
	srv := httptest.NewServer(fromAddr(s.h, "192.0.2.50:40000"))
	defer srv.Close()
	replayAXbills(t, func(path, body string) (int, string) {
		return postBearer(t, srv.URL+"/bill/api/"+path, axbillsLogin(t, srv.URL), body)
	})
	if n, err := s.db.TokenCount(context.Background()); err != nil || n != 1 {
		t.Errorf("the store holds %d tokens (%v) after a login per call, want 1", n, err)
	}
	if code, _ := postBearer(t, srv.URL+"/bill/api/types_list/", "", ""); code != http.StatusUnauthorized {
		t.Errorf("a call without the token: got %d, want 401", code)
	}
}

// fromAddr serves h as if every client were at addr, so the listener on
// loopback stands for a billing server elsewhere.
func fromAddr(h http.Handler, addr string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = addr
		h.ServeHTTP(w, r)
	})
}

// axbillsLogin logs in as the module does and returns the token.
func axbillsLogin(t *testing.T, base string) string {
	t.Helper()
	code, got := postBearer(t, base+"/bill/api/auth/", "", `[{"username":"axbills","password":"the password"}]`)
	var out struct{ Token string }
	if code != http.StatusOK || json.Unmarshal([]byte(got), &out) != nil || out.Token == "" {
		t.Fatalf("auth/: got %d %s", code, got)
	}
	return out.Token
}

// postBearer posts body with an optional bearer token and returns the status
// and the body without encoding/json's trailing newline.
func postBearer(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSuffix(string(got), "\n")
}
