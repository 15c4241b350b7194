package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// TestDemoCanLogIn: the demo's config has a status page user whose password
// is the one scripts/demo.sh prints, the script prints the /ui/ address with
// it, takes DEMO_DB, and ends with explain, log and panels to try.
func TestDemoCanLogIn(t *testing.T) {
	cfg, err := LoadConfig("../../demo/yardsync.yaml", true, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../scripts/demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := string(raw)
	value := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `=(\S+)`).FindStringSubmatch(script)
		if m == nil {
			t.Fatalf("demo.sh sets no %s", name)
		}
		return m[1]
	}
	user, password := value("UI_USER"), value("UI_PASSWORD")
	if hash := apiUsers(cfg.API.Users)[user].Hash; hash == "" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		t.Fatalf("api.users of demo/yardsync.yaml has no %q with password %q", user, password)
	}
	if token := value("TOKEN"); len(cfg.API.Tokens) != 1 || cfg.API.Tokens[0].Token != token {
		t.Fatalf("demo.sh calls the API with token %q, the config has %v", token, cfg.API.Tokens)
	}
	end := script[strings.LastIndex(script, "cat <<MSG"):]
	for _, want := range []string{"/ui/  user $UI_USER, password $UI_PASSWORD", "explain --uid", "log --uid", "panels "} {
		if !strings.Contains(end, want) {
			t.Errorf("the demo's closing lines lack %q", want)
		}
	}
	if strings.Index(end, "explain --uid") < strings.Index(end, "make demo-stop") {
		t.Error("the three commands to try are not the demo's last lines")
	}
	if !strings.Contains(script, "DB=${DEMO_DB:-yardsync_demo}") || !strings.Contains(script, `s|/yardsync_demo?|/$DB?|`) {
		t.Error("DEMO_DB does not name the database, in the script and in the config it writes")
	}
}

// TestDemoHasEveryFamily: scripts/demo.sh's fleet lines give one emulated
// panel or more of every family yardsync drives, under that family's
// default paneltype, each a family panelsim plays; a family whose driver
// lands is one fleet line more, and this test asks for it.
func TestDemoHasEveryFamily(t *testing.T) {
	raw, err := os.ReadFile("../../scripts/demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`(?m)^fleet +(\S+) +(\d+) +(\d+) +(\S+) `).FindAllStringSubmatch(string(raw), -1)
	demo := map[int]bool{}
	for _, m := range lines {
		family, paneltype, count := m[1], m[2], m[3]
		if err := panelsim.CheckFamily(family); err != nil {
			t.Errorf("fleet %s: %v", family, err)
		}
		pt, _ := strconv.Atoi(paneltype)
		f, ok := reconcile.DefaultFamilies().Of(pt)
		if !ok || f.String() != strings.TrimSuffix(family, "-mifare") {
			t.Errorf("fleet %s: paneltype %d is family %v (driven %v)", family, pt, f, ok)
		}
		if count == "0" {
			t.Errorf("fleet %s: no panel", family)
		}
		demo[pt] = true
	}
	for pt := range reconcile.DefaultFamilies() {
		if f, driven := reconcile.DefaultFamilies().Of(pt); driven && !demo[pt] {
			t.Errorf("make demo has no %s panel (paneltype %d): add a fleet line to scripts/demo.sh", f, pt)
		}
	}
	if len(lines) == 0 {
		t.Fatal("scripts/demo.sh has no fleet lines")
	}
}
