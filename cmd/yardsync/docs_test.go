package main

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"yardsync/store"
)

// configKeys lists every key of Config as its dotted YAML path, the fields
// of list entries (api.users) under the list's own key.
func configKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		out = append(out, key)
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() {
			out = append(out, configKeys(ft, key+".")...)
		}
	}
	return out
}

// yamlKeys lists the dotted keys a YAML document sets, list entries' keys
// under the list's key.
func yamlKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			yamlKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			out[key] = true
			yamlKeys(n.Content[i+1], key+".", out)
		}
	}
}

// TestEveryConfigKeyDocumented: yardsync.example.yaml sets every key of the
// config (a list's entry keys may be shown in a comment), and the README's
// configuration table names every key of each section.
func TestEveryConfigKeyDocumented(t *testing.T) {
	keys := configKeys(reflect.TypeFor[Config](), "")
	raw, err := os.ReadFile("../../yardsync.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	yamlKeys(&doc, "", set)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(\\w+)` \\|(.*)\\|$").FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = m[2]
	}
	for _, key := range keys {
		parts := strings.Split(key, ".")
		leaf := parts[len(parts)-1]
		commented := regexp.MustCompile(`(?m)^\s*#.*\b` + leaf + `:`).Match(raw)
		if !set[key] && !(len(parts) > 2 && commented) {
			t.Errorf("yardsync.example.yaml lacks %s", key)
		}
		if len(parts) == 2 && !strings.Contains(rows[parts[0]], "`"+leaf+"`") {
			t.Errorf("the README's configuration table lacks %s in its %s row", key, parts[0])
		}
		if len(parts) > 2 && !strings.Contains(string(readme), leaf) {
			t.Errorf("the README does not mention %s", key)
		}
	}
	if len(keys) < 30 {
		t.Fatalf("only %d config keys found: %v", len(keys), keys)
	}
}

// TestReconcileJSONFieldsDocumented: the README's list of the fields of
// `reconcile --json` is the line the command prints, with the error of a
// failed run.
func TestReconcileJSONFieldsDocumented(t *testing.T) {
	line, err := json.Marshal(jsonSummary{Error: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(line, &fields); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`\{"run_id"[^}]*\}`).FindString(string(readme))
	for f := range fields {
		if !strings.Contains(list, `"`+f+`"`) {
			t.Errorf("the README's --json fields %s lack %q", list, f)
		}
	}
	if n := strings.Count(list, `"`) / 2; n != len(fields) {
		t.Errorf("the README lists %d --json fields (%s), the command prints %d", n, list, len(fields))
	}
}

// TestMetricsDocumented: every yardsync_ metric a daemon serves after a run
// is in the README's list and in docs/api.md's /metrics row.
func TestMetricsDocumented(t *testing.T) {
	in := panelsInstall(t, 1)
	in.exec(`INSERT INTO contracts VALUES (701, '', '7', true, true)`)
	in.storeExec(`INSERT INTO rights VALUES (701, '{1}')`)
	in.storeExec(`INSERT INTO keys VALUES (decode('00000000AF0701', 'hex'), 701, '')`)
	stop := in.serve()
	defer stop()
	var sum map[string]any
	if code := in.post("sync", `{"wait": true}`, &sum); code != 200 || sum["status"] != "ok" {
		t.Fatalf("sync: got %d %v", code, sum)
	}
	resp, err := http.Get("http://" + in.listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?m)^# HELP (yardsync_\w+)`).FindAllStringSubmatch(string(body), -1)
	if len(names) < 12 {
		t.Fatalf("only %d yardsync metrics served:\n%s", len(names), body)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)- \*\*Metrics\*\* \(` + "`/metrics`" + `\):.*?\n- \*\*`).FindString(string(readme))
	api, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `/metrics` \\|.*$").FindString(string(api))
	for _, m := range names {
		name := strings.TrimSuffix(strings.TrimSuffix(m[1], "_total"), "_seconds")
		if !strings.Contains(list, name) {
			t.Errorf("the README's metrics list lacks %s", m[1])
		}
		if !strings.Contains(row, name) {
			t.Errorf("docs/api.md's /metrics row lacks %s", m[1])
		}
	}
}

// repoFiles lists the repository's text files a user gets: docs, configs,
// SQL, scripts and source.
func repoFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin" || path == "../../demo/run") {
			return filepath.SkipDir
		}
		switch filepath.Ext(path) {
		case ".md", ".sql", ".yaml", ".yml", ".go", ".sh", ".service", ".json":
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocsCiteOnlyWhatUsersHave: no file points at the project's private
// shared/ folder, which users do not get, and every path of the config file
// the docs give is the one the install steps make.
func TestDocsCiteOnlyWhatUsersHave(t *testing.T) {
	private := regexp.MustCompile(`shared/(reference|seed)|\.\./shared`)
	configPath := regexp.MustCompile(`/etc/yardsync[\w./-]*\.yaml`)
	files := repoFiles(t)
	if len(files) < 50 {
		t.Fatalf("only %d files found", len(files))
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if m := private.Find(raw); m != nil && !strings.HasSuffix(path, "docs_test.go") {
			t.Errorf("%s cites %s, which users do not have", path, m)
		}
		for _, p := range configPath.FindAll(raw, -1) {
			if string(p) != "/etc/yardsync/yardsync.yaml" {
				t.Errorf("%s names the config file %s; the README installs it as /etc/yardsync/yardsync.yaml", path, p)
			}
		}
	}
}

// TestUpgradeNotesAndCaveat: the newer-store refusal points at UPGRADING.md,
// which says how migrations and downgrades behave; the README says near its
// top that the panel protocols are checked against emulators, not panels.
func TestUpgradeNotesAndCaveat(t *testing.T) {
	notes, err := os.ReadFile("../../UPGRADING.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"yardsync migrate", "Downgrading", "refuses a store that a newer one migrated", "restore the backup"} {
		if !strings.Contains(string(notes), want) {
			t.Errorf("UPGRADING.md lacks %q", want)
		}
	}
	err = store.SchemaState{Applied: 9, Newest: 8}.Err()
	if err == nil || !strings.Contains(err.Error(), "UPGRADING.md") {
		t.Errorf("the newer-store error %v does not point at UPGRADING.md", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	top := strings.Join(strings.SplitN(string(readme), "\n", 25)[:24], "\n")
	if !strings.Contains(top, "not physical panels") || !strings.Contains(top, "emulators") {
		t.Error("the README's first lines do not say the panel protocols are checked against emulators, not physical panels")
	}
}
