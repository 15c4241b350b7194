package main

import (
	"strings"
	"testing"
	"time"

	"yardsync/internal/access"
)

// The access keys of api: roles for users and static tokens (strings or
// {token, role}), trusted_proxies, health_allow and body_timeout.
func TestConfigAccess(t *testing.T) {
	hash := "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"
	t.Run("OK", func(t *testing.T) {
		text := `api:
  tokens:
    - "a-plain-token-with-every-right"
    - {token: "prometheus-scrape-token-xyz", role: viewer}
    - token: "an-operator-token-0123"
      role: operator
  users:
    - {username: axbills, password_hash: "` + hash + `", role: billing}
    - {username: support, password_hash: "` + hash + `", role: viewer}
    - {username: legacy, password_hash: "` + hash + `"}
  trusted_proxies: ["127.0.0.1", "10.0.0.0/8"]
  health_allow: ["192.0.2.0/24"]
  body_timeout: 3s
`
		cfg, err := LoadConfig(writeConfig(t, text), true, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		tokens := apiTokens(cfg.API.Tokens)
		want := []access.Token{{Secret: "a-plain-token-with-every-right"}, {Secret: "prometheus-scrape-token-xyz", Role: access.Viewer},
			{Secret: "an-operator-token-0123", Role: access.Operator}}
		for i := range want {
			if len(tokens) != len(want) || tokens[i] != want[i] {
				t.Fatalf("tokens: got %+v, want %+v", tokens, want)
			}
		}
		users := apiUsers(cfg.API.Users)
		if users["axbills"].Role != access.Billing || users["support"].Role != access.Viewer || users["legacy"].Role != access.Full {
			t.Fatalf("users: got %+v", users)
		}
		if len(cfg.API.TrustedProxies) != 2 || len(cfg.API.HealthAllow) != 1 || cfg.API.BodyTimeout != 3*time.Second {
			t.Fatalf("api: got %+v", cfg.API)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		if d := DefaultConfig().API; d.BodyTimeout != 10*time.Second || d.TrustedProxies != nil || d.HealthAllow != nil {
			t.Fatalf("got %+v, want body_timeout 10s and no proxies or health_allow", d)
		}
	})
	bad := []struct{ name, text, want string }{
		{"ErrShortToken", "api:\n  tokens: [\"a\"]\n", "api.tokens: entry 1 is 1 characters: a static token needs at least 16"},
		{"ErrShortRoleToken", "api:\n  tokens: [{token: \"fifteen-chars15\", role: viewer}]\n", "needs at least 16"},
		{"ErrTokenRole", "api:\n  tokens: [{token: \"prometheus-scrape-token-xyz\", role: admin}]\n", `api.tokens: entry 1: role "admin" is not one of viewer, operator, billing`},
		{"ErrTokenTwice", "api:\n  tokens: [\"the-same-token-twice\", {token: \"the-same-token-twice\", role: viewer}]\n", "entry 2 repeats entry 1"},
		{"ErrTokenKey", "api:\n  tokens:\n    - {secret: \"prometheus-scrape-token-xyz\"}\n", "api.tokens.secret: unknown key (line 3)"},
		{"ErrTokenList", "api:\n  tokens:\n    - [a]\n", "api.tokens[0] (line 3): a list is not a token: a string, or {token, role}"},
		{"ErrUserRole", "api:\n  users:\n    - {username: s, password_hash: \"" + hash + "\", role: root}\n", `api.users: entry 1 (s): role "root" is not one of`},
		{"ErrTrustedProxies", "api:\n  trusted_proxies: [nginx]\n", "api.trusted_proxies"},
		{"ErrHealthAllow", "api:\n  health_allow: [10.0.0.0/33]\n", "api.health_allow"},
		{"ErrBodyTimeout", "api:\n  body_timeout: 0s\n", "api.body_timeout"},
		{"ErrShortEnvToken", "", "needs at least 16"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			env := noEnv
			if c.text == "" {
				env = func(k string) string { return map[string]string{"YARDSYNC_API_TOKENS": "short"}[k] }
			}
			_, err := LoadConfig(writeConfig(t, c.text), true, env)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
			for _, secret := range []string{"the-same-token-twice", "prometheus-scrape-token-xyz", "fifteen-chars15"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows the token: %v", err)
				}
			}
		})
	}
}
