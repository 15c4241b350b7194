package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"yardsync/internal/access"
	"yardsync/reconcile"
	"yardsync/store"
)

// TokenStore keeps the tokens auth/ hands out, shared by every instance.
type TokenStore interface {
	SaveToken(ctx context.Context, hash []byte, owner store.TokenOwner, ttl time.Duration, keep int) (time.Time, error)
	FindToken(ctx context.Context, hash []byte) (store.TokenOwner, bool, error)
}

// DefaultTokenTTL is how long a token from auth/ is valid when api.token_ttl is not set.
const DefaultTokenTTL = 24 * time.Hour

// tokensPerUser bounds the tokens the store keeps per user; a repeated login
// reuses its token, so this is only reached by many instances or a password
// that changes often.
const tokensPerUser = 32

var errBadLogin = errors.New("invalid username or password")

// maxPassword is the most of a password bcrypt reads; a longer one would be
// checked by its first 72 bytes alone, so it is refused instead.
const maxPassword = 72

var errLongPassword = fmt.Errorf("%w: a password longer than %d bytes is refused (bcrypt would ignore the rest)", errBadLogin, maxPassword)

// logins checks api.users and issues tokens. A repeated login with the
// credentials last verified for a user skips bcrypt: it is recognised by a
// keyed hash of the password (the key lives only in this process) together
// with the account it was verified against, so a changed config
// invalidates it. It then answers the same token while that has more than
// half its life left, so the store gains no row per call.
type logins struct {
	users  map[string]access.User
	ttl    time.Duration
	store  TokenStore
	key    [32]byte
	slots  chan struct{} // bounds concurrent bcrypt work to the CPUs
	dummy  func() []byte // hash at the highest cost in use, compared so every check costs as much
	mu     sync.Mutex
	recent map[string]verified
	now    func() time.Time
	// compare is bcrypt's check; tests count its calls through it.
	compare func(hash, password []byte) error
}

type verified struct {
	mac     [sha256.Size]byte
	cred    string    // the account (hash and role) the password was checked against
	at      time.Time // when bcrypt said yes
	token   string    // the last token issued for it
	expires time.Time
}

func newLogins(users map[string]access.User, ttl time.Duration, ts TokenStore) *logins {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	l := &logins{users: users, ttl: ttl, store: ts, recent: map[string]verified{}, now: time.Now,
		compare: bcrypt.CompareHashAndPassword,
		slots:   make(chan struct{}, runtime.GOMAXPROCS(0))}
	if _, err := rand.Read(l.key[:]); err != nil {
		panic("api: no randomness for the login cache key: " + err.Error())
	}
	l.dummy = sync.OnceValue(func() []byte { return dummyHash(users) })
	return l
}

// dummyHash is a hash of a random password at the highest cost in use, so
// an unknown user costs what the slowest known one does.
func dummyHash(users map[string]access.User) []byte {
	cost := bcrypt.MinCost
	for _, u := range users {
		if c, err := bcrypt.Cost([]byte(bcryptCompatible(u.Hash))); err == nil && c > cost {
			cost = c
		}
	}
	if len(users) == 0 {
		cost = bcrypt.DefaultCost // no user to match; any login is refused at a plausible price
	}
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	h, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(pw[:])), cost)
	if err != nil {
		panic("api: dummy bcrypt hash: " + err.Error())
	}
	return h
}

// bcryptCompatible maps the $2y$ prefix (PHP, htpasswd) to $2a$: the
// algorithm is the same, and not every bcrypt library reads the letter.
func bcryptCompatible(hash string) string {
	if rest, ok := strings.CutPrefix(hash, "$2y$"); ok {
		return "$2a$" + rest
	}
	return hash
}

// login checks the credentials and returns a token for them.
func (l *logins) login(ctx context.Context, user, password string) (string, error) {
	u, known := l.users[user]
	cred := access.Cred(u)
	mac := l.mac(user, password)
	l.mu.Lock()
	v, seen := l.recent[user]
	l.mu.Unlock()
	now := l.now()
	if !(known && seen && v.cred == cred && hmac.Equal(v.mac[:], mac[:]) && now.Sub(v.at) < l.ttl) {
		if err := l.verify(ctx, u.Hash, known, password); err != nil {
			return "", err
		}
		v = verified{mac: mac, cred: cred, at: now}
	}
	if v.token != "" && v.expires.Sub(now) > l.ttl/2 && l.stillStored(ctx, v.token) {
		return v.token, nil
	}
	token, expires, err := l.issue(ctx, user, cred)
	if err != nil {
		return "", err
	}
	v.token, v.expires = token, expires
	l.mu.Lock()
	l.recent[user] = v
	l.mu.Unlock()
	return token, nil
}

// verify runs bcrypt against the user's hash, or the dummy hash for an
// unknown user, so the answer takes as long whether the user exists or not.
// A user whose hash is cheaper than the dummy's also pays a compare against
// the dummy: every check then costs what one at the highest cost in use
// does, under any load. A password longer than bcrypt reads is refused,
// never checked by its first 72 bytes.
func (l *logins) verify(ctx context.Context, hash string, known bool, password string) error {
	if len(password) > maxPassword {
		return errLongPassword
	}
	dummy := l.dummy()
	select {
	case l.slots <- struct{}{}:
		defer func() { <-l.slots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	if !known {
		_ = l.compare(dummy, []byte(password))
		return errBadLogin
	}
	against := []byte(bcryptCompatible(hash))
	mismatch := l.compare(against, []byte(password))
	if !sameCost(against, dummy) {
		_ = bcrypt.CompareHashAndPassword(dummy, []byte(password)) // the price of the slowest hash
	}
	if mismatch != nil {
		return errBadLogin
	}
	return nil
}

// sameCost reports whether two bcrypt hashes have one cost; an unreadable
// one has none.
func sameCost(a, b []byte) bool {
	ca, errA := bcrypt.Cost(a)
	cb, errB := bcrypt.Cost(b)
	return errA == nil && errB == nil && ca == cb
}

func (l *logins) mac(user, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, l.key[:])
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var out [sha256.Size]byte
	copy(out[:], m.Sum(nil))
	return out
}

// stillStored reports whether a token is still valid in the store (another
// instance may have trimmed it); on a store error a new one is issued.
func (l *logins) stillStored(ctx context.Context, token string) bool {
	if l.store == nil {
		return false
	}
	_, ok, err := l.store.FindToken(ctx, tokenHash(token))
	return err == nil && ok
}

var errNoTokenStore = reconcile.Errorf(reconcile.ErrUnavailable, "no token store configured")

func (l *logins) issue(ctx context.Context, user, cred string) (string, time.Time, error) {
	if l.store == nil {
		return "", time.Time{}, errNoTokenStore
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	owner := store.TokenOwner{Username: user, Cred: cred}
	expires, err := l.store.SaveToken(ctx, tokenHash(token), owner, l.ttl, tokensPerUser)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// valid reports whether tok is an unexpired token from auth/ whose user is
// still configured with the password hash and role it logged in with, and
// returns that role.
func (l *logins) valid(ctx context.Context, tok string) (access.Role, bool, error) {
	if !looksIssued(tok) {
		return access.Full, false, nil // not worth a store query
	}
	owner, ok, err := l.store.FindToken(ctx, tokenHash(tok))
	if err != nil || !ok {
		return access.Full, false, err
	}
	u, known := l.users[owner.Username]
	if !known || !hmac.Equal([]byte(access.Cred(u)), []byte(owner.Cred)) {
		return access.Full, false, nil
	}
	return u.Role, true, nil
}

// looksIssued is true for the shape auth/ hands out: 32 bytes, base64url.
func looksIssued(tok string) bool {
	if len(tok) != base64.RawURLEncoding.EncodedLen(32) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(tok)
	return err == nil
}

func tokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// UserVerifier checks a login of api.users as auth/ does, for the status
// page: bcrypt work bounded to the CPUs, an unknown user as slow to refuse
// as a known one, $2y$ hashes read as $2a$, passwords over 72 bytes refused.
type UserVerifier struct{ l *logins }

// NewUserVerifier checks logins against users.
func NewUserVerifier(users map[string]access.User) *UserVerifier {
	return &UserVerifier{l: newLogins(users, 0, nil)}
}

// Verify returns nil when password is user's, and an error saying only
// "invalid username or password" otherwise.
func (v *UserVerifier) Verify(ctx context.Context, user, password string) error {
	u, known := v.l.users[user]
	return v.l.verify(ctx, u.Hash, known, password)
}

// Account says what user is granted now: its role and the fingerprint a
// session of it must carry; false for a user not in api.users.
func (v *UserVerifier) Account(user string) (access.Account, bool) {
	u, known := v.l.users[user]
	return u.Account(), known
}
