package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestServeStatusPage: serve mounts /ui/ with the login of api.users, and a
// run's panel status shows on it, failing panels first.
func TestServeStatusPage(t *testing.T) {
	in := newInstall(t, 2)
	hash, err := bcrypt.GenerateFromPassword([]byte("door-opens-42"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	withUsers(t, in.config, "  users:\n    - username: support\n      password_hash: "+string(hash)+"\n")
	appendConfig(t, in.config, "ui:\n  time_zone: Asia/Yekaterinburg\n")
	host, _, _ := net.SplitHostPort(in.fleet.Addrs()[0])
	nobody := host[:strings.LastIndex(host, ".")] + ".250" // no panel listens there: refused at once
	if _, code := in.cli("migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	in.storeExec(`INSERT INTO devices (device_id, device_uuid, device_type, is_active, title, paneltype, panelip, panellogin, panelpasswd) VALUES
		(1, '00000000-0000-4000-8000-000000000001', 1, true, 'Подъезд 1', 2, $1, 'admin', 'pw'),
		(2, '00000000-0000-4000-8000-000000000002', 1, true, 'Подъезд 2', 2, $2, 'admin', 'pw')`, host, nobody)
	if _, code := in.cli("reconcile"); code == 0 {
		t.Fatal("a run with an unreachable panel reported ok")
	}
	stop := in.serve()
	defer stop()
	c := uiClient(t)
	base := "http://" + in.listen + "/ui/"
	page := get(t, c, base+"login")
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if token == nil {
		t.Fatalf("no login form: %s", page)
	}
	resp, err := c.PostForm(base+"login", url.Values{"csrf": {token[1]}, "username": {"support"}, "password": {"door-opens-42"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d, want 303", resp.StatusCode)
	}
	home := get(t, c, base)
	bad, good := strings.Index(home, `id="panel-2"`), strings.Index(home, `id="panel-1"`)
	if bad < 0 || good < 0 || bad > good || !strings.Contains(home[bad:good], "failing") || !strings.Contains(home[good:], ">OK<") {
		t.Fatalf("overview does not show panel 2 failing first and panel 1 OK:\n%s", home)
	}
	if !strings.Contains(home, "+05:00") || regexp.MustCompile(`\d\d:\d\dZ`).MatchString(home) {
		t.Errorf("overview times are not in ui.time_zone (+05:00):\n%s", home)
	}
}

// appendConfig adds YAML lines at the end of the config.
func appendConfig(t *testing.T, config, lines string) {
	t.Helper()
	text, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, append(text, lines...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// withUsers adds YAML lines under the config's api section.
func withUsers(t *testing.T, config, lines string) {
	t.Helper()
	text, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(strings.Replace(string(text), "api:\n", "api:\n"+lines, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func uiClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
	}
	return string(body)
}

// TestConfigUITimeZone: ui.time_zone names the zone the status page shows
// times in; it defaults to the host's, and a zone that does not exist is a
// config error naming the key.
func TestConfigUITimeZone(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		cfg, err := LoadConfig(writeConfig(t, "ui:\n  time_zone: Asia/Yekaterinburg\n"), true, noEnv)
		if err != nil || cfg.UI.TimeZone != "Asia/Yekaterinburg" {
			t.Fatalf("got %+v, %v", cfg.UI, err)
		}
		if loc, err := cfg.UI.Location(); err != nil || loc.String() != "Asia/Yekaterinburg" {
			t.Fatalf("location %v, %v", loc, err)
		}
	})
	t.Run("DefaultIsTheHosts", func(t *testing.T) {
		cfg := DefaultConfig()
		if loc, err := cfg.UI.Location(); cfg.UI.TimeZone != "" || err != nil || loc != time.Local {
			t.Fatalf("default ui.time_zone %q gives %v, %v; want the host's zone", cfg.UI.TimeZone, loc, err)
		}
	})
	t.Run("ErrUnknownZone", func(t *testing.T) {
		path := writeConfig(t, "ui:\n  time_zone: Europe/Atlantis\n")
		if _, err := LoadConfig(path, true, noEnv); err == nil || !strings.Contains(err.Error(), "ui.time_zone") || !strings.Contains(err.Error(), "Europe/Atlantis") {
			t.Fatalf("got %v, want an error naming ui.time_zone and the zone", err)
		}
	})
}
