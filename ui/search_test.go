package ui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"yardsync/reconcile"
)

// TestSearchRecognises: one search box takes a contract uid, a phone in any
// usual form, or a key, and says which it took it for.
func TestSearchRecognises(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if s := w.sync(); s.Status != reconcile.StatusOK {
		t.Fatalf("setup run: %+v", s)
	}
	srv := httptest.NewServer(w.ui)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv)
	b.mustLogin()
	found := map[string]string{
		"501": "uid", "89001234567": "phone", "+7 (900) 123-45-67": "phone", "9001234567": "phone", "8-900-123-45-67": "phone",
		"a1b2c3d4": "key", "000000A1B2C3D4": "key", "A1:B2:C3:D4": "key",
	}
	for q, kind := range found {
		a := b.get("/ui/contracts?q=" + url.QueryEscape(q))
		if a.StatusCode != http.StatusOK {
			t.Errorf("search %q: %d", q, a.StatusCode)
		}
		mustContain(t, "search "+q, a.body, `id="contract-501"`, `data-kind="`+kind+`"`)
	}
	t.Run("ByChoice", func(t *testing.T) {
		a := b.get("/ui/contracts?by=key&q=501") // 501 read as a key: no contract holds it
		mustContain(t, "key 501", a.body, `data-kind="key"`, "No contract holds this key.")
		if strings.Contains(a.body, `id="contract-501"`) {
			t.Errorf("key 501 found contract 501:\n%s", a.body)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		mustContain(t, "unknown phone", b.get("/ui/contracts?q=89990000000").body, `data-kind="phone"`, "No contract has this phone.")
		mustContain(t, "unknown key", b.get("/ui/contracts?q=FFFF0000").body, `data-kind="key"`, "No contract holds this key.")
	})
	t.Run("ErrNothingToRecognise", func(t *testing.T) {
		a := b.get("/ui/contracts?q=" + url.QueryEscape("Ivanov"))
		if a.StatusCode != http.StatusBadRequest {
			t.Errorf("search Ivanov: %d, want 400", a.StatusCode)
		}
		mustContain(t, "search Ivanov", a.body, "contract uid, a phone or a key")
	})
}

func TestRecognise(t *testing.T) {
	cases := map[string]string{
		"501": "uid", "7": "uid", "123456789": "uid",
		"89001234567": "phone", "+79001234567": "phone", "+7 (900) 123-45-67": "phone", "9001234567": "phone",
		"8.900.123.45.67": "phone", "4951234567": "phone", "+44 20 7946 0958": "phone",
		"a1b2c3d4": "key", "000000A1B2C3D4": "key", "A1:B2:C3:D4": "key", "0A 1B 2C 3D": "key", "01234567": "key",
		"12345678901234": "key",
		"":               "", "Иванов": "", "Ivanov": "", "501 502": "", "+7 a1b2": "", "1234567890123456": "",
	}
	for q, want := range cases {
		if got := recognise(q); got != want {
			t.Errorf("recognise(%q) = %q, want %q", q, got, want)
		}
	}
}
