package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"yardsync/internal/testdb"
	"yardsync/reconcile"
	"yardsync/store/storetest"
)

// billingConfig writes a yardsync.yaml whose billing is the PostgreSQL
// fixture of testdata/billing, with the fixture's own queries.
func billingConfig(t *testing.T, edit func(*Config)) string {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/billing/postgres.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	sql, err := os.ReadFile("../../testdata/billing/postgres.sql")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Billing.DSN = testdb.Postgres(t)
	conn, err := pgx.Connect(context.Background(), cfg.Billing.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), string(sql)); err != nil {
		t.Fatal(err)
	}
	cfg.Store.DSN = migratedStore(t)
	if edit != nil {
		edit(&cfg)
	}
	return writeBillingConfig(t, cfg)
}

// migratedStore is a fresh store database with every migration applied.
func migratedStore(t *testing.T) string {
	t.Helper()
	return storetest.MigratedDSN(t)
}

func writeBillingConfig(t *testing.T, cfg Config) string {
	t.Helper()
	out, err := yaml.Marshal(map[string]any{"store": map[string]any{"dsn": cfg.Store.DSN}, "billing": map[string]any{
		"driver": cfg.Billing.Driver, "dsn": cfg.Billing.DSN, "path": cfg.Billing.Path,
		"queries": map[string]string{"uids": cfg.Billing.Queries.UIDs, "cams": cfg.Billing.Queries.Cams,
			"contract": cfg.Billing.Queries.Contract, "snapshot": cfg.Billing.Queries.Snapshot},
	}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "yardsync.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runBillingCLI(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := Run(context.Background(), append([]string{"yardsync"}, args...), &out, &errOut)
	return out.String(), err
}

func TestBillingCommand(t *testing.T) {
	conf := billingConfig(t, nil)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"uids", "+7 (910) 123-45-67"}, `{"uids":[1001,1002]}`},
		{[]string{"uids", "89999999999"}, `{"uids":[]}`},
		{[]string{"cams", "1002"}, `{"cams_open":true,"cams_paid":false}`},
		{[]string{"list", "89105550002"}, `{"contracts":[{"login":"sidorov","address":"Иваново, ул. Мира, д. 5","internet":450,"internetdata":"","tv":0,"tvdata":"","phone":0,"phonedata":"","cams":0,"camsdata":"","camsname":"","balans":0,"payment":450,"invoice":false,"detail":false,"receipt":false}]}`},
		{[]string{"list", "89999999999"}, `{"contracts":[]}`},
	}
	for _, tc := range cases {
		out, err := runBillingCLI(append([]string{"-c", conf, "billing"}, tc.args...)...)
		if err != nil || strings.TrimSpace(out) != tc.want {
			t.Errorf("billing %v = %s, %v; want %s", tc.args, out, err, tc.want)
		}
	}
	for _, args := range [][]string{{"uids", "abc"}, {"cams", "x"}, {"cams", "0"}, {"uids"}} {
		if _, err := runBillingCLI(append([]string{"-c", conf, "billing"}, args...)...); !errors.Is(err, reconcile.ErrInvalid) {
			t.Errorf("billing %v: err = %v, want ErrInvalid", args, err)
		}
	}
}

func TestBillingNotConfigured(t *testing.T) {
	conf := writeBillingConfig(t, DefaultConfig())
	_, err := runBillingCLI("-c", conf, "billing", "uids", "89101234567")
	if !errors.Is(err, reconcile.ErrUnavailable) || !strings.Contains(err.Error(), "billing not configured") {
		t.Errorf("err = %v", err)
	}
}

func TestCheckCommand(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		out, err := runBillingCLI("-c", billingConfig(t, nil), "check", "--phone", "+7 910 123-45-67")
		if err != nil {
			t.Fatalf("check: %v\n%s", err, out)
		}
		for _, want := range []string{"store         OK  connected, migrated", "billing       OK  driver postgres: answers a query (server PostgreSQL", "uids          OK  2 uid(s) for 89101234567: [1001 1002]",
			"cams          OK  uid 1001: cams_open true, cams_paid true", "contract      OK  uid 1001", "snapshot      OK  5 contracts, 2 active",
			"snapshot_one  OK  uid 1001: 1 row(s), the snapshot narrowed by uid"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ErrProblems", func(t *testing.T) {
		conf := billingConfig(t, func(c *Config) {
			c.Billing.Queries.Cams = "SELECT 1 AS cams_open WHERE @uid > 0"
			c.Billing.Queries.Contract = ""
			c.Store.DSN = "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
		})
		out, err := runBillingCLI("-c", conf, "check", "--uid", "1003", "--json")
		if exitCode(err) != 1 {
			t.Errorf("exit = %d (%v), want 1", exitCode(err), err)
		}
		for _, want := range []string{`"query":"store","status":"error"`, `missing column cams_paid`,
			`"query":"contract","status":"skipped","detail":"not configured"`, `"problems":2`} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ErrNarrowedFails", func(t *testing.T) {
		// The view names its uid column "UID": the whole snapshot reads it
		// (column names are matched in any case), a filter on uid cannot.
		conf := billingConfig(t, func(c *Config) {
			conn, err := pgx.Connect(context.Background(), c.Billing.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), `CREATE VIEW snap AS SELECT uid AS "UID", flat, cams_open, cams_paid FROM (`+c.Billing.Queries.Snapshot+`) s`); err != nil {
				t.Fatal(err)
			}
			c.Billing.Queries.Snapshot = "SELECT * FROM snap"
		})
		out, err := runBillingCLI("-c", conf, "check", "--json")
		if exitCode(err) != 1 {
			t.Errorf("exit = %d (%v), want 1", exitCode(err), err)
		}
		for _, want := range []string{`"query":"snapshot","status":"ok"`, `"query":"snapshot_one","status":"error"`, `does not exist`, `"problems":1`} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ErrDuplicateRows", func(t *testing.T) {
		conf := billingConfig(t, func(c *Config) {
			q := c.Billing.Queries.Snapshot
			c.Billing.Queries.Snapshot = "SELECT * FROM (" + q + ") a UNION ALL SELECT * FROM (" + q + ") b WHERE uid = 1002"
		})
		out, err := runBillingCLI("-c", conf, "check")
		if exitCode(err) != 1 || !strings.Contains(out, "FAIL  1 contract(s) with several rows, left as they are: [1002]") {
			t.Errorf("check = %v, want exit 1 naming uid 1002\n%s", err, out)
		}
	})
	t.Run("File", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Store.DSN = migratedStore(t)
		cfg.Billing.Driver, cfg.Billing.Path = "file", "../../testdata/billing/demo.yaml"
		out, err := runBillingCLI("-c", writeBillingConfig(t, cfg), "check")
		if err != nil || !strings.Contains(out, "snapshot      OK  30 contracts, 24 active") || !strings.Contains(out, "snapshot_one  -   targeted runs read the whole file") {
			t.Errorf("check = %v\n%s", err, out)
		}
	})
}
