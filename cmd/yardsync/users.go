package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"

	"yardsync/internal/access"
)

// validUsers checks api.users: a name, once, and a bcrypt hash as htpasswd
// -B, PHP or yardsync hash-password make it. Messages never show the hash.
func validUsers(users []APIUser) error {
	seen := map[string]bool{}
	for i, u := range users {
		switch {
		case strings.TrimSpace(u.Username) == "":
			return fmt.Errorf("entry %d: username must not be empty", i+1)
		case seen[u.Username]:
			return fmt.Errorf("entry %d: username %q is listed twice", i+1, u.Username)
		}
		seen[u.Username] = true
		if err := validBcrypt(u.PasswordHash); err != nil {
			return fmt.Errorf("entry %d (%s): password_hash %w", i+1, u.Username, err)
		}
		if _, err := access.ParseRole(u.Role); err != nil {
			return fmt.Errorf("entry %d (%s): %w", i+1, u.Username, err)
		}
	}
	return nil
}

func validBcrypt(hash string) error {
	prefix := len(hash) >= 4 && (hash[:4] == "$2a$" || hash[:4] == "$2b$" || hash[:4] == "$2y$")
	if !prefix || len(hash) != 60 {
		return errors.New("is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters; make one with `yardsync hash-password`)")
	}
	if _, err := bcrypt.Cost([]byte("$2a$" + hash[4:])); err != nil {
		return fmt.Errorf("is not a valid bcrypt hash: %w", err)
	}
	return nil
}

func hashPasswordCommand() *cli.Command {
	return &cli.Command{
		Name:      "hash-password",
		Usage:     "print the bcrypt hash of a password for api.users: asked twice on a terminal, else one line of stdin",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "cost", Value: bcrypt.DefaultCost, Usage: "bcrypt cost (4-31); each step doubles the work"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return errors.New("hash-password reads the password from stdin, not from the command line (where ps and shell history would see it)")
			}
			if f, ok := c.App.Reader.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				password, err := askTwice(f, c.App.ErrWriter)
				if err != nil {
					return err
				}
				return printHash(c.App.Writer, password, c.Int("cost"))
			}
			return hashPassword(c.App.Reader, c.App.Writer, c.Int("cost"))
		},
	}
}

// askTwice asks for the password on the terminal tty, twice, without echo.
// The prompts go to the terminal itself, so a redirected stdout or stderr
// never swallows them; to prompts when the terminal takes no writes.
func askTwice(tty *os.File, prompts io.Writer) (string, error) {
	say := func(s string) {
		if _, err := io.WriteString(tty, s); err != nil {
			_, _ = io.WriteString(prompts, s)
		}
	}
	ask := func(prompt string) (string, error) {
		say(prompt)
		b, err := term.ReadPassword(int(tty.Fd()))
		say("\n")
		if err != nil {
			return "", fmt.Errorf("hash-password: read the terminal: %w", err)
		}
		return string(b), nil
	}
	first, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	second, err := ask("The same password again: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("hash-password: the two passwords differ; nothing was printed, run it again")
	}
	return first, nil
}

// hashPassword reads one line (its line ending dropped, nothing else) and
// prints its bcrypt hash.
func hashPassword(r io.Reader, w io.Writer, cost int) error {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("hash-password: read stdin: %w", err)
	}
	return printHash(w, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), cost)
}

// maxPassword is bcrypt's limit: it ignores every byte after the 72nd, so
// a longer password is refused, never cut (the API refuses it the same way).
const maxPassword = 72

// printHash prints the bcrypt hash of password.
func printHash(w io.Writer, password string, cost int) error {
	switch {
	case password == "":
		return errors.New("hash-password: no password on stdin (one line)")
	case len(password) > maxPassword:
		return fmt.Errorf("hash-password: the password is %d bytes long, and bcrypt uses at most %d (a Cyrillic letter takes 2): "+
			"yardsync refuses it rather than cut it; choose a shorter one", len(password), maxPassword)
	case cost < bcrypt.MinCost || cost > bcrypt.MaxCost:
		return fmt.Errorf("hash-password: --cost %d is outside %d-%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return fmt.Errorf("hash-password: %w", err)
	}
	_, err = fmt.Fprintln(w, string(hash))
	return err
}
