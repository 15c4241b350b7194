// Package access says who may do what: the roles of api.users and of static
// tokens, and the fingerprint that ends a login when its user is changed.
// The API and the status page both ask it, so a rule lives here once.
package access

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Role is what a user or a static token may do.
type Role string

// The roles. Full is what a user or token configured without a role gets:
// every /bill/api call and the status page, as before roles existed.
const (
	Full     Role = ""
	Viewer   Role = "viewer"   // the status page's read pages and the read calls; no panel or SIP passwords
	Operator Role = "operator" // viewer and runs: sync/, the page's sync button
	Billing  Role = "billing"  // every /bill/api call, and not the status page
)

// ParseRole reads a role as the config names it; empty is Full.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Full, Viewer, Operator, Billing:
		return r, nil
	}
	return Full, fmt.Errorf("role %q is not one of viewer, operator, billing", s)
}

// rank orders the roles by the /bill/api calls they may make.
func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Operator:
		return 2
	}
	return 3
}

// Allows reports whether r may make a call that needs role need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() }

// SeesSecrets reports whether answers to r carry panel and SIP passwords.
func (r Role) SeesSecrets() bool { return r.Allows(Billing) }

// UsesPage reports whether r may log into the status page: it is for
// people, and the billing's own account is not one.
func (r Role) UsesPage() bool { return r != Billing }

// SyncsPanels reports whether r may press the page's "sync this panel".
func (r Role) SyncsPanels() bool { return r.UsesPage() && r.Allows(Operator) }

// String names the role in messages; Full says what it is.
func (r Role) String() string {
	if r == Full {
		return "full (no role set)"
	}
	return string(r)
}

// User is one of api.users.
type User struct {
	Hash string // bcrypt
	Role Role
}

// Account is what a login of a user is granted: its role, and the
// fingerprint its tokens and sessions carry.
type Account struct {
	Role Role
	Cred string
}

// Account returns what a login of u is granted now.
func (u User) Account() Account { return Account{Role: u.Role, Cred: Cred(u)} }

// Cred fingerprints a user's password hash and role. A token or session
// carries the fingerprint of its login, so a changed hash or role ends it.
// For a user without a role it is the fingerprint tokens had before roles,
// so an upgrade leaves their tokens valid.
func Cred(u User) string {
	h := sha256.New()
	h.Write([]byte(u.Hash))
	if u.Role != Full {
		h.Write([]byte{0})
		h.Write([]byte(u.Role))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Token is a static bearer token of api.tokens and what it may do.
type Token struct {
	Secret string
	Role   Role
}

// MinTokenLength is the shortest static token the config takes: a shorter
// one can be guessed.
const MinTokenLength = 16
