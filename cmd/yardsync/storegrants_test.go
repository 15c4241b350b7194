package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"yardsync/internal/testdb"
	"yardsync/reconcile"
)

// TestStoreGrantsRecipe: the role and grants of docs/store.md, run on the
// SmartYard reference schema, are enough for migrate, check and a daemon
// that writes devices, rights and keys through the API and reconciles a
// panel; and they do not let it drop SmartYard's tables.
func TestStoreGrantsRecipe(t *testing.T) {
	doc, err := os.ReadFile("../../docs/store.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- store-grants:[^>]*-->\n```sql\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/store.md has no store-grants SQL block")
	}
	in := newInstall(t, 1)
	ctx := context.Background()
	adminDSN := testdb.Postgres(t)
	testdb.LoadSmartYard(t, adminDSN)
	u, err := url.Parse(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	role := "ys_role_" + dbName[len(dbName)-12:]
	recipe := strings.NewReplacer("yardsync", role, "DATABASE smartyard", "DATABASE "+dbName).Replace(string(m[1]))
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, recipe); err != nil {
		t.Fatalf("the recipe: %v\n%s", err, recipe)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, adminDSN)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP OWNED BY "+role+"; DROP ROLE "+role); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})
	u.User = url.UserPassword(role, "CHANGE-ME")
	config, err := os.ReadFile(in.config)
	if err != nil {
		t.Fatal(err)
	}
	in.storeDSN = u.String()
	in.config = writeConfig(t, strings.Replace(string(config), fmt.Sprintf("%q", extractDSN(t, string(config))), fmt.Sprintf("%q", in.storeDSN), 1))

	if out, code := in.cli("migrate"); code != 0 {
		t.Fatalf("migrate as %s: exit %d %s", role, code, out)
	}
	if out, _ := in.cli("check"); !strings.Contains(checkLine(out, "store"), "OK connected, migrated") {
		t.Fatalf("check as %s:\n%s", role, out)
	}
	in.exec(`INSERT INTO contracts VALUES (701, '', '7', true, true)`)
	stop := in.serve()
	defer stop()
	var dev struct {
		DeviceID int `json:"device_id"`
	}
	ip := strings.Split(in.fleet.Addrs()[0], ":")[0]
	if code := in.post("devices_add", `{"device_type": 1, "is_active": true, "paneltype": 2, "panelip": "`+ip+`", "panellogin": "admin", "panelpasswd": "pw"}`, &dev); code != 200 {
		t.Fatalf("devices_add as %s: %d", role, code)
	}
	for _, call := range []string{fmt.Sprintf(`rights_add {"uid": 701, "device_id": %d}`, dev.DeviceID), `keys_add {"uid": 701, "key": "00AA0701"}`} {
		name, body, _ := strings.Cut(call, " ")
		if code := in.post(name, body, nil); code != 200 {
			t.Fatalf("%s as %s: %d", name, role, code)
		}
	}
	var sum reconcile.Summary
	if code := in.post("sync", `{"wait": true}`, &sum); code != 200 || sum.Status != "ok" || sum.Added != 1 {
		t.Fatalf("sync as %s: %d %+v", role, code, sum)
	}
	conn, err := pgx.Connect(ctx, in.storeDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP TABLE keys`); err == nil || !strings.Contains(err.Error(), "owner") {
		t.Fatalf("the role dropped SmartYard's keys table (%v): the grants are too wide", err)
	}
}

// extractDSN is the store.dsn a test config names.
func extractDSN(t *testing.T, config string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^store:\n  dsn: "([^"]*)"`).FindStringSubmatch(config)
	if m == nil {
		t.Fatalf("no store.dsn in %s", config)
	}
	return m[1]
}
