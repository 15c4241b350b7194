package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The tests of this file run the daemon through Run, as the binary does,
// and check each finding of the access review (issue 19) where an operator
// would meet it: over HTTP, with the config file as written.

const rolesPassword = "door-opens-42"

// longPassword is as long as bcrypt reads: 72 bytes.
var longPassword = strings.Repeat("p", 72)

// accessInstall is an install with users of every role (password
// rolesPassword; the billing's hash at hash-password's default cost, the
// others at the cheapest) and two static tokens, one without a role and
// one viewer, a panel holding passwords and contract 5's key.
func accessInstall(t *testing.T, apiKeys string) *install {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(rolesPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	dear, err := bcrypt.GenerateFromPassword([]byte(rolesPassword), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	long, err := bcrypt.GenerateFromPassword([]byte(longPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := fmt.Sprintf(`  users:
    - {username: axbills, password_hash: %[2]q, role: billing}
    - {username: support, password_hash: %[1]q, role: viewer}
    - {username: oncall, password_hash: %[1]q, role: operator}
    - {username: legacy, password_hash: %[1]q}
    - {username: longpw, password_hash: %[3]q}
  tokens: ["full-static-token-0123", {token: "prometheus-scrape-token-xyz", role: viewer}]
`, h, dear, long)
	in := newInstallConfig(t, 1, users+apiKeys, "  panel_timeout: 2s\n  retries: 1\n")
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip, panellogin, panelpasswd, sippassword)
		VALUES (1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 2, $1, 'admin', 'pw', 'sip-secret')`, strings.Split(in.fleet.Addrs()[0], ":")[0])
	in.storeExec(`INSERT INTO rights VALUES (5, '{1}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('a1b2c3d4', 'hex'), 5, 'card')`)
	return in
}

// call posts body to /bill/api/path/ with a bearer token (none when empty)
// and extra headers, and returns the status and the body.
func (in *install) call(path, token, body string, headers ...string) (int, string) {
	in.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+in.listen+"/bill/api/"+path+"/", strings.NewReader(body))
	if err != nil {
		in.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if i := slicesIndex(headers, "Host"); i >= 0 {
		req.Host = headers[i+1]
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func slicesIndex(list []string, v string) int {
	for i := 0; i < len(list); i += 2 {
		if list[i] == v {
			return i
		}
	}
	return -1
}

// login logs user in at auth/ as AXbills does and returns the token.
func (in *install) login(user string, headers ...string) string {
	in.t.Helper()
	code, body := in.call("auth", "", `[{"username":"`+user+`","password":"`+rolesPassword+`"}]`, headers...)
	var out struct{ Token string }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || out.Token == "" {
		in.t.Fatalf("auth/ as %s: %d %s", user, code, body)
	}
	return out.Token
}

// pageLogin logs user into the status page; it returns the client (with the
// session) and the login's answer.
func (in *install) pageLogin(user string, headers ...string) (*http.Client, *http.Response) {
	in.t.Helper()
	c := uiClient(in.t)
	base := "http://" + in.listen + "/ui/"
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get(in.t, c, base+"login"))
	if token == nil {
		in.t.Fatal("no login form")
	}
	form := url.Values{"csrf": {token[1]}, "username": {user}, "password": {rolesPassword}}
	req, _ := http.NewRequest(http.MethodPost, base+"login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	resp.Body.Close()
	return c, resp
}

// page GETs a status page path and returns the status and body.
func page(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// Finding 1: every login and static token had every right. Now a viewer
// reads without secrets and writes nothing, an operator syncs, the
// billing's account has the calls and no page, and a user or token
// without a role keeps every right.
func TestServeRoles(t *testing.T) {
	in := accessInstall(t, "")
	stop := in.serve()
	defer stop()
	keys := func() string {
		_, body := in.call("keys_list", "full-static-token-0123", `{"uid":"5"}`)
		return body
	}
	for _, who := range []string{"prometheus-scrape-token-xyz", in.login("support"), in.login("oncall")} {
		code, body := in.call("devices_list", who, "")
		if code != 200 || !strings.Contains(body, `"panelpasswd":""`) || !strings.Contains(body, `"sippassword":""`) || strings.Contains(body, "sip-secret") {
			t.Errorf("devices_list below billing: %d %s, want the passwords blank", code, body)
		}
		before := keys()
		for path, body := range map[string]string{"keys_add": `{"uid":"5","key":"0a1b2c3d4e"}`, "keys_del": `{"uid":"5","key":"a1b2c3d4"}`,
			"rights_del": `{"uid":"5","device_id":"[1]"}`} {
			if code, answer := in.call(path, who, body); code != http.StatusForbidden || !strings.Contains(answer, "needs role billing") {
				t.Errorf("%s below billing: %d %s, want 403 naming role billing", path, code, answer)
			}
		}
		if keys() != before {
			t.Fatal("a refused call changed the keys")
		}
	}
	if code, body := in.call("sync", "prometheus-scrape-token-xyz", `{"uid":5}`); code != http.StatusForbidden || !strings.Contains(body, "needs role operator") {
		t.Errorf("sync/ as a viewer: %d %s, want 403 naming role operator", code, body)
	}
	if code, body := in.call("sync", in.login("oncall"), `{"uid":5}`); code != http.StatusAccepted {
		t.Errorf("sync/ as an operator: %d %s, want 202", code, body)
	}
	for _, who := range []string{in.login("axbills"), in.login("legacy"), "full-static-token-0123"} {
		code, body := in.call("devices_list", who, "")
		if code != 200 || !strings.Contains(body, `"panelpasswd":"pw"`) {
			t.Errorf("devices_list as billing or without a role: %d %s, want the passwords", code, body)
		}
		if code, body := in.call("keys_add", who, `{"uid":"5","key":"0a1b2c3d4e"}`); code != 200 {
			t.Errorf("keys_add as billing or without a role: %d %s", code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+in.listen+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer prometheus-scrape-token-xyz")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("/metrics with the viewer token: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	t.Run("Page", func(t *testing.T) {
		base := "http://" + in.listen + "/ui/"
		if _, resp := in.pageLogin("axbills"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("the billing's account at the page: %d, want 403", resp.StatusCode)
		}
		viewer, resp := in.pageLogin("support")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("viewer's login: %d", resp.StatusCode)
		}
		_, panel := page(t, viewer, base+"panels/1")
		if strings.Contains(panel, `id="sync"`) {
			t.Error("the viewer's panel page has a sync button")
		}
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(panel)
		if csrf == nil {
			t.Fatalf("no CSRF token on the page: %s", panel)
		}
		resp, err := viewer.PostForm(base+"panels/1/sync", url.Values{"csrf": {csrf[1]}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("the viewer's sync: %d, want 403", resp.StatusCode)
		}
		for _, user := range []string{"oncall", "legacy"} {
			c, resp := in.pageLogin(user)
			if _, body := page(t, c, base+"panels/1"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(body, `id="sync"`) {
				t.Errorf("%s's panel page: login %d, want a sync button", user, resp.StatusCode)
			}
		}
	})
}

// Finding 2: a page session and an auth/ token outlived their user across
// a restart. Now they end when the user is removed, its hash changes or
// its role changes.
func TestServeLoginsEndWithTheirUser(t *testing.T) {
	in := accessInstall(t, "")
	text, err := os.ReadFile(in.config)
	if err != nil {
		t.Fatal(err)
	}
	supportLine := regexp.MustCompile(`    - \{username: support, [^\n]*\n`).FindString(string(text))
	other, _ := bcrypt.GenerateFromPassword([]byte("a new password"), bcrypt.MinCost)
	for name, line := range map[string]string{
		"Removed":     "",
		"HashChanged": fmt.Sprintf("    - {username: support, password_hash: %q, role: viewer}\n", other),
		"RoleChanged": strings.Replace(supportLine, "role: viewer", "role: operator", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(in.config, text, 0o600); err != nil {
				t.Fatal(err)
			}
			stop := in.serve()
			tok := in.login("support")
			c, resp := in.pageLogin("support")
			if code, _ := page(t, c, "http://"+in.listen+"/ui/"); resp.StatusCode != http.StatusSeeOther || code != 200 {
				t.Fatalf("before: login %d, page %d", resp.StatusCode, code)
			}
			stop()
			if err := os.WriteFile(in.config, []byte(strings.Replace(string(text), supportLine, line, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			stop = in.serve()
			defer stop()
			if code, _ := in.call("types_list", tok, ""); code != http.StatusUnauthorized {
				t.Errorf("the token after the change: %d, want 401", code)
			}
			if code, _ := page(t, c, "http://"+in.listen+"/ui/"); code != http.StatusSeeOther {
				t.Errorf("the page session after the change: %d, want 303 to the login", code)
			}
		})
	}
}

// `yardsync tokens revoke --user NAME` ends every token and page session
// of the user, on a running daemon, and no one else's.
func TestServeTokensRevoke(t *testing.T) {
	in := accessInstall(t, "")
	stop := in.serve()
	defer stop()
	tok, keep := in.login("support"), in.login("oncall")
	c, _ := in.pageLogin("support")
	out, code := in.cli("tokens", "revoke", "--user", "support")
	if code != 0 || !strings.Contains(out, "revoked 1 token(s) and 1 status page session(s) of support") {
		t.Fatalf("tokens revoke: %q exit %d", out, code)
	}
	if code, _ := in.call("types_list", tok, ""); code != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", code)
	}
	if code, _ := page(t, c, "http://"+in.listen+"/ui/"); code != http.StatusSeeOther {
		t.Errorf("the revoked page session: %d, want 303 to the login", code)
	}
	if code, _ := in.call("types_list", keep, ""); code != http.StatusOK {
		t.Errorf("another user's token after the revoke: %d, want 200", code)
	}
	if _, code := in.cli("tokens", "revoke"); code == 0 {
		t.Error("tokens revoke without --user succeeded")
	}
}

// Finding 3 and the cookie: behind nginx in api.trusted_proxies one
// client's bad guesses (logins and bearer tokens, logged without the
// secret) throttle that client only, so the billing behind the same proxy
// goes on; the cookie is Secure when nginx says the client came over TLS.
func TestServeBehindProxy(t *testing.T) {
	in := accessInstall(t, "  trusted_proxies: [\"127.0.0.1\"]\n")
	var log syncBuffer
	stop := in.serveLogging(&log)
	defer stop()
	guesser, billing := []string{"X-Forwarded-For", "203.0.113.7"}, []string{"X-Forwarded-For", "192.0.2.80"}
	for range 12 {
		in.call("auth", "", `[{"username":"axbills","password":"guess"}]`, guesser...)
	}
	if code, _ := in.call("auth", "", `[{"username":"axbills","password":"`+rolesPassword+`"}]`, guesser...); code != http.StatusTooManyRequests {
		t.Errorf("the guesser's login after 12 failures: %d, want 429", code)
	}
	for range 10 {
		in.login("axbills", billing...)
	}
	for i := range 12 {
		in.call("types_list", fmt.Sprintf("guessed-bearer-token-%02d", i), "", "X-Forwarded-For", "203.0.113.9")
	}
	if code, _ := in.call("types_list", "full-static-token-0123", "", "X-Forwarded-For", "203.0.113.9"); code != http.StatusTooManyRequests {
		t.Errorf("after 12 wrong bearer tokens: %d, want 429", code)
	}
	if code, _ := in.call("types_list", "full-static-token-0123", "", billing...); code != http.StatusOK {
		t.Errorf("the billing behind the same proxy: %d, want 200", code)
	}
	logged := log.String()
	if !strings.Contains(logged, "bearer token refused") || !strings.Contains(logged, "client=203.0.113.9") || strings.Contains(logged, "guessed-bearer-token") {
		t.Errorf("want wrong tokens logged with the real client and without the token:\n%s", logged)
	}
	_, resp := in.pageLogin("support", "X-Forwarded-For", "198.51.100.5", "X-Forwarded-Proto", "https")
	if c := sessionCookie(resp); c == nil || !c.Secure {
		t.Errorf("the session cookie behind a TLS proxy: %+v, want Secure", c)
	}
	_, resp = in.pageLogin("support", "X-Forwarded-For", "198.51.100.5")
	if c := sessionCookie(resp); c == nil || c.Secure {
		t.Errorf("the session cookie over plain HTTP: %+v, want not Secure", c)
	}
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "yardsync_ui" && c.Value != "" {
			return c
		}
	}
	return nil
}

// Finding 4: without tokens a cross-site form wrote a key, and any Host
// was served. Now a write needs JSON, this host's name and no foreign
// Origin.
func TestServeLoopbackWrites(t *testing.T) {
	in := newInstall(t, 1)
	stop := in.serve()
	defer stop()
	keys := func() string {
		_, body := in.call("keys_list", "", `{"uid":"5"}`)
		return body
	}
	for name, headers := range map[string][]string{
		"TextPlainForm": {"Content-Type", "text/plain"},
		"RebindHost":    {"Host", "attacker.example:8080"},
		"ForeignOrigin": {"Origin", "https://attacker.example"},
	} {
		if code, body := in.call("keys_add", "", `{"uid":"5","key":"0a1b2c3d4e"}`, headers...); code != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", name, code, body)
		}
	}
	if body := keys(); strings.Contains(body, "0a1b2c3d4e") {
		t.Fatalf("a refused write was written: %s", body)
	}
	if code, body := in.call("keys_add", "", `{"uid":"5","key":"0a1b2c3d4e"}`); code != http.StatusOK || !strings.Contains(keys(), "0a1b2c3d4e") {
		t.Fatalf("a program's write: %d %s", code, body)
	}
}

// Finding 5 and the malformed bodies: a body slower than api.body_timeout
// to auth/ and a broken chunked body are a 400, never a 500 with an ERROR
// line.
func TestServeBadBodies(t *testing.T) {
	in := accessInstall(t, "  body_timeout: 1s\n")
	var log syncBuffer
	stop := in.serveLogging(&log)
	defer stop()
	head := "POST /bill/api/auth/ HTTP/1.1\r\nHost: " + in.listen + "\r\nContent-Type: application/json\r\n"
	for name, req := range map[string]string{
		"Slow":       head + "Content-Length: 80\r\n\r\n[{\"username\":\"axbills\",",
		"BadChunked": head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n",
	} {
		if code := rawCode(t, in.listen, req); code != http.StatusBadRequest {
			t.Errorf("%s body to auth/: %d, want 400", name, code)
		}
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("a client's body was logged as an error:\n%s", log.String())
	}
}

// The smaller findings: ids that strconv reads but are not digits, a
// password beyond bcrypt's 72 bytes, an unknown user answering faster than
// a known one, query text shown on the panel page, a short static token,
// and /healthz outside api.allow.
func TestServeSmallFindings(t *testing.T) {
	in := accessInstall(t, "  allow: [\"10.0.0.0/8\", \"127.0.0.1\"]\n")
	stop := in.serve()
	defer func() { stop() }() // the daemon HealthOutsideAllow restarts
	for _, v := range []string{`"0x3EC"`, `"1_004"`, `"+1004"`, `"0x3ECp0"`} {
		if code, body := in.call("keys_add", "full-static-token-0123", `{"uid":`+v+`,"key":"0a1b2c3d4e"}`); code != http.StatusBadRequest {
			t.Errorf("keys_add uid %s: %d %s, want 400", v, code, body)
		}
	}
	// The three are refused in turn, two rounds (the login throttle allows
	// no more), each keeping its fastest: load only slows a try down, and a
	// burst of it slows all three alike.
	best := map[string]time.Duration{"axbills": time.Hour, "support": time.Hour, "nobody": time.Hour}
	for range 2 {
		for _, user := range []string{"axbills", "support", "nobody"} {
			start := time.Now()
			if code, _ := in.call("auth", "", `[{"username":"`+user+`","password":"wrong"}]`); code != http.StatusUnauthorized {
				t.Fatalf("a wrong password for %s: %d", user, code)
			}
			best[user] = min(best[user], time.Since(start))
		}
	}
	dear, cheap, unknown := best["axbills"], best["support"], best["nobody"]
	if cheap < dear/2 || unknown < dear/2 {
		t.Errorf("refusals took %s (cost 10), %s (cost 4), %s (unknown): the time tells users apart", dear, cheap, unknown)
	}
	if code, _ := in.call("auth", "", `[{"username":"longpw","password":"`+longPassword+`"}]`); code != http.StatusOK {
		t.Errorf("a password of 72 bytes: %d, want 200", code)
	}
	if code, _ := in.call("auth", "", `[{"username":"longpw","password":"`+longPassword+`and-more"}]`); code != http.StatusUnauthorized {
		t.Errorf("a password whose first 72 bytes are right, and more: %d, want 401", code)
	}
	c, _ := in.pageLogin("legacy")
	_, panel := page(t, c, "http://"+in.listen+"/ui/panels/1?sync_error="+url.QueryEscape("Call 8-800-FAKE")+"&run=1&status="+url.QueryEscape("8-800-FAKE"))
	if strings.Contains(panel, "8-800-FAKE") {
		t.Errorf("the panel page shows its query's text:\n%s", panel)
	}

	t.Run("ShortToken", func(t *testing.T) {
		text, _ := os.ReadFile(in.config)
		cfg := writeConfig(t, strings.Replace(string(text), `"full-static-token-0123"`, `"a"`, 1))
		var out, errOut bytes.Buffer
		err := Run(t.Context(), []string{"yardsync", "--config", cfg, "migrate"}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "api.tokens: entry 1 is 1 characters") {
			t.Fatalf("a one-character token: %v, want a config error naming api.tokens", err)
		}
	})
	t.Run("HealthOutsideAllow", func(t *testing.T) {
		text, _ := os.ReadFile(in.config)
		restart := func(from, to string) {
			t.Helper()
			stop()
			if err := os.WriteFile(in.config, []byte(strings.Replace(string(text), from, to, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		restart(`allow: ["10.0.0.0/8", "127.0.0.1"]`, `allow: ["10.0.0.0/8"]`)
		stop = in.serveUntil(&bytes.Buffer{}, "/healthz", http.StatusForbidden) // never 200: that is the finding
		for _, path := range []string{"/healthz", "/readyz"} {
			if resp, err := http.Get("http://" + in.listen + path); err != nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s from outside api.allow: %v %v, want 403", path, resp, err)
			} else {
				resp.Body.Close()
			}
		}
		restart(`allow: ["10.0.0.0/8", "127.0.0.1"]`, `allow: ["10.0.0.0/8"]
  health_allow: ["127.0.0.1"]`)
		stop = in.serve() // waits for /readyz from loopback: health_allow lets it through
		if code, _ := in.call("types_list", "full-static-token-0123", ""); code != http.StatusForbidden {
			t.Errorf("a call from outside api.allow beside health_allow: %d, want 403", code)
		}
	})
}

// rawCode writes req on its own connection and returns the answer's status.
func rawCode(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
