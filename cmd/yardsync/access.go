package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"yardsync/internal/access"
	"yardsync/store"
)

// APIToken is one static bearer token of api.tokens: a plain string (every
// right, as before roles) or {token, role}.
type APIToken struct {
	Token string `yaml:"token"`
	Role  string `yaml:"role"` // viewer, operator or billing; empty: every right
}

// UnmarshalYAML reads a token as a string or as {token, role}. Its
// refusals are worded as yaml.v3's own, so the config's error messages name
// the entry and its line as for any other key.
func (t *APIToken) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			t.Token = n.Value
		}
		return nil
	case yaml.MappingNode:
		var problems []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			dst := map[string]*string{"token": &t.Token, "role": &t.Role}[k.Value]
			switch {
			case dst == nil:
				problems = append(problems, fmt.Sprintf("line %d: field %s not found in type main.APIToken", k.Line, k.Value))
			case v.Kind != yaml.ScalarNode:
				problems = append(problems, fmt.Sprintf("line %d: cannot unmarshal %s into string", v.Line, v.ShortTag()))
			default:
				*dst = v.Value
			}
		}
		if problems != nil {
			return &yaml.TypeError{Errors: problems}
		}
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s into main.APIToken", n.Line, n.ShortTag())}}
}

// validTokens refuses a blank token (a header of spaces must never match
// it), one with surrounding spaces (a header can never carry them), one
// shorter than access.MinTokenLength (it can be guessed), one listed twice
// and an unknown role. The message names the entry, never the secret.
func validTokens(list []APIToken) error {
	seen := map[string]int{}
	for i, t := range list {
		switch n := utf8.RuneCountInString(t.Token); {
		case strings.TrimSpace(t.Token) == "":
			return fmt.Errorf("entry %d is empty or blank", i+1)
		case strings.TrimSpace(t.Token) != t.Token:
			return fmt.Errorf("entry %d has leading or trailing whitespace, which no Authorization header can carry", i+1)
		case n < access.MinTokenLength:
			return fmt.Errorf("entry %d is %d characters: a static token needs at least %d (make one with `openssl rand -hex 24`)", i+1, n, access.MinTokenLength)
		case seen[t.Token] > 0:
			return fmt.Errorf("entry %d repeats entry %d", i+1, seen[t.Token])
		}
		seen[t.Token] = i + 1
		if _, err := access.ParseRole(t.Role); err != nil {
			return fmt.Errorf("entry %d: %w", i+1, err)
		}
	}
	return nil
}

// apiTokens is api.tokens as the API takes it (validated already).
func apiTokens(list []APIToken) []access.Token {
	out := make([]access.Token, len(list))
	for i, t := range list {
		role, _ := access.ParseRole(t.Role)
		out[i] = access.Token{Secret: t.Token, Role: role}
	}
	return out
}

// apiUsers is api.users as the API and the status page take it (validated already).
func apiUsers(users []APIUser) map[string]access.User {
	out := make(map[string]access.User, len(users))
	for _, u := range users {
		role, _ := access.ParseRole(u.Role)
		out[u.Username] = access.User{Hash: u.PasswordHash, Role: role}
	}
	return out
}

var errNoUser = errors.New("--user NAME is required")

func tokensCommand() *cli.Command {
	return &cli.Command{
		Name:  "tokens",
		Usage: "manage the tokens auth/ handed out and the status page's sessions",
		Subcommands: []*cli.Command{{
			Name:      "revoke",
			Usage:     "end every auth/ token and status page session of a user, on every instance",
			ArgsUsage: " ",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "user", Usage: "the user of api.users whose logins end", Required: true},
			},
			Action: func(c *cli.Context) error {
				user := c.String("user")
				if strings.TrimSpace(user) == "" {
					return errNoUser
				}
				return withStore(c, func(e *env, db *store.DB) error {
					r, err := db.RevokeUser(c.Context, user)
					if err != nil {
						return err
					}
					e.log.Info("logins revoked", slog.String("user", user), slog.Int64("tokens", r.Tokens), slog.Int64("sessions", r.Sessions))
					_, err = fmt.Fprintf(e.stdout, "revoked %d token(s) and %d status page session(s) of %s\n", r.Tokens, r.Sessions, user)
					return err
				})
			},
		}},
	}
}
