package api

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestAXbillsReplay sends the AXbills client's requests byte for byte
// (testdata/axbills/session.txt) to a real listener on loopback, with no
// tokens configured, and compares every answer byte for byte.
func TestAXbillsReplay(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	srv := httptest.NewServer(s.h)
	defer srv.Close()
	replayAXbills(t, func(path, body string) (int, string) { return post(t, srv.URL+"/bill/api/"+path, body) })
	// The module's calls scheduled targeted runs for the contracts they named:
	// 5 (rights, keys), 6 (a revocation, even of nothing: the run makes sure)
	// and 7 (client create, delete).
	touched := slices.Compact(slices.Sorted(slices.Values(s.syncer.takeTouched())))
	if !slices.Equal(touched, []int64{5, 6, 7}) {
		t.Errorf("targeted runs for %v, want 5, 6 and 7", touched)
	}
	// rights_del, keys_del and users/clients/delete name their contract:
	// those runs are never held by the guard.
	revoked := slices.Compact(slices.Sorted(slices.Values(s.syncer.takeRevoked())))
	if !slices.Equal(revoked, []int64{5, 6, 7}) {
		t.Errorf("named revocations for %v, want 5, 6 and 7", revoked)
	}
}

// replayAXbills sends every call of the recorded AXbills session
// (testdata/axbills/session.txt: "> path body" lines, each answered by a
// "< status body" line, "-" for an empty body) through send, and compares
// every answer byte for byte.
func replayAXbills(t *testing.T, send func(path, body string) (int, string)) {
	t.Helper()
	f, err := os.Open("testdata/axbills/session.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var path, body string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "> "):
			path, body, _ = strings.Cut(text[2:], " ")
		case strings.HasPrefix(text, "< "):
			status, want, _ := strings.Cut(text[2:], " ")
			if want == "-" {
				want = ""
			}
			gotStatus, got := send(path, body)
			if strconv.Itoa(gotStatus) != status || got != want {
				t.Errorf("line %d: %s %s:\ngot  %d %s\nwant %s %s", line, path, body, gotStatus, got, status, want)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// post sends body as the client does (form of a JSON POST) and returns the
// status and the body without encoding/json's trailing newline.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(bytes.TrimSuffix(got, []byte("\n")))
}
