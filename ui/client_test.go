package ui

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping HTTP client of the status page that does not
// follow redirects, so tests see each answer.
type browser struct {
	t    *testing.T
	srv  *httptest.Server
	c    *http.Client
	lang string
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, srv: srv, c: c}
}

// answer is a response with its body read.
type answer struct {
	*http.Response
	body string
}

func (b *browser) do(method, path string, form url.Values) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp, string(data)}
}

func (b *browser) get(path string) answer { return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, form url.Values) answer { return b.do(http.MethodPost, path, form) }

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the first form on the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	a := b.get(path)
	m := csrfInput.FindStringSubmatch(a.body)
	if m == nil {
		b.t.Fatalf("GET %s: no CSRF field in %d %s", path, a.StatusCode, a.body)
	}
	return m[1]
}

// login logs in with the form's token and returns the answer.
func (b *browser) login(user, password string) answer {
	b.t.Helper()
	token := b.csrf("/ui/login")
	return b.post("/ui/login", url.Values{"csrf": {token}, "username": {user}, "password": {password}})
}

func (b *browser) mustLogin() {
	b.t.Helper()
	if a := b.login(testUser, testPassword); a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != "/ui/" {
		b.t.Fatalf("login: %d to %q, want 303 to /ui/: %s", a.StatusCode, a.Header.Get("Location"), a.body)
	}
}

func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}
