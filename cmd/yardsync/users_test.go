package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"yardsync/internal/testdb"
	"yardsync/internal/testnet"
)

// runWithStdin runs one command line with stdin holding input.
func runWithStdin(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = w.WriteString(input); w.Close() }()
	saved := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = saved; r.Close() }()
	var out, errOut bytes.Buffer
	err = Run(context.Background(), append([]string{"yardsync"}, args...), &out, &errOut)
	return out.String(), err
}

func TestHashPassword(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		out, err := runWithStdin(t, "correct horse battery \r\n", "hash-password", "--cost", "4")
		if err != nil {
			t.Fatal(err)
		}
		hash := strings.TrimSpace(out)
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery ")); err != nil {
			t.Fatalf("%q does not verify the password (inner spaces kept, line ending dropped): %v", hash, err)
		}
		if err := validBcrypt(hash); err != nil {
			t.Fatalf("api.users would refuse it: %v", err)
		}
	})
	t.Run("NoTrailingNewline", func(t *testing.T) {
		out, err := runWithStdin(t, "pw", "hash-password", "--cost", "4")
		if err != nil || bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out)), []byte("pw")) != nil {
			t.Fatalf("got %q %v", out, err)
		}
	})
	for name, c := range map[string]struct{ in, arg, want string }{
		"ErrEmpty":           {"\n", "", "no password"},
		"ErrTooLong":         {strings.Repeat("x", 73) + "\n", "", "73 bytes long, and bcrypt uses at most 72"},
		"ErrTooLongCyrillic": {strings.Repeat("я", 37) + "\n", "", "74 bytes long, and bcrypt uses at most 72 (a Cyrillic letter takes 2)"},
		"ErrArg":             {"pw\n", "pw", "not from the command line"},
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{"hash-password", "--cost", "4"}
			if c.arg != "" {
				args = append(args, c.arg)
			}
			if out, err := runWithStdin(t, c.in, args...); err == nil || out != "" || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q %v, want no hash and an error saying %q", out, err, c.want)
			}
		})
	}
	t.Run("Longest", func(t *testing.T) {
		pw := strings.Repeat("я", 36)
		out, err := runWithStdin(t, pw+"\n", "hash-password", "--cost", "4")
		if err != nil || bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out)), []byte(pw)) != nil {
			t.Fatalf("a password of 72 bytes: got %q %v", out, err)
		}
	})
}

func TestConfigUsers(t *testing.T) {
	good := "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"
	t.Run("OK", func(t *testing.T) {
		path := writeConfig(t, "api:\n  users:\n    - username: billing\n      password_hash: \""+good+"\"\n")
		cfg, err := LoadConfig(path, true, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.API.TokenTTL != 24*time.Hour || apiUsers(cfg.API.Users)["billing"].Hash != good {
			t.Fatalf("got %+v", cfg.API)
		}
	})
	bad := []struct{ name, text, want string }{
		{"ErrNoUsername", "api:\n  users:\n    - password_hash: \"" + good + "\"\n", "api.users: entry 1: username"},
		{"ErrPlainPassword", "api:\n  users:\n    - username: billing\n      password_hash: hunter2\n", "api.users: entry 1 (billing): password_hash"},
		{"ErrMD5Hash", "api:\n  users:\n    - username: billing\n      password_hash: \"$apr1$x$y\"\n", "password_hash is not a bcrypt hash"},
		{"ErrTwice", "api:\n  users:\n    - {username: a, password_hash: \"" + good + "\"}\n    - {username: a, password_hash: \"" + good + "\"}\n", "listed twice"},
		{"ErrUnknownKey", "api:\n  users:\n    - username: a\n      password: x\n", "api.users.password: unknown key"},
		{"ErrTTLZero", "api:\n  token_ttl: 0s\n", "api.token_ttl"},
		{"ErrTTLNegative", "api:\n  token_ttl: -1h\n", "api.token_ttl"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, c.text), true, noEnv)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("got %v, want an error with %q and no secret", err, c.want)
			}
		})
	}
}

// TestServeLogin: serve with api.users (a hash from hash-password) hands out
// tokens at auth/ that open the other calls; without one they are a 401.
func TestServeLogin(t *testing.T) {
	out, err := runWithStdin(t, "pw\n", "hash-password", "--cost", "4")
	if err != nil {
		t.Fatal(err)
	}
	in := &install{t: t, listen: testnet.FreeAddr(t)}
	in.config = writeConfig(t, fmt.Sprintf("store:\n  dsn: %q\napi:\n  listen: %q\n  users:\n    - username: billing\n      password_hash: %q\n",
		testdb.Postgres(t), in.listen, strings.TrimSpace(out)))
	stop := in.serve()
	defer stop()
	if code := in.post("types_list", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("types_list without a token: got %d, want 401", code)
	}
	var login struct{ Token string }
	if code := in.post("auth", `[{"username":"billing","password":"pw"}]`, &login); code != 200 || login.Token == "" {
		t.Fatalf("auth/: got %d %+v", code, login)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+in.listen+"/bill/api/types_list/", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var types map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&types) != nil || types["types"] == nil {
		t.Fatalf("types_list with the token: got %d %v", resp.StatusCode, types)
	}
}

// TestExampleConfigLoads: the documented example stays a valid config.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("../../yardsync.example.yaml", true, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.API.TokenTTL != 24*time.Hour || len(cfg.API.Users) != 0 {
		t.Fatalf("api: got %+v", cfg.API)
	}
}
