package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

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

// logins checks api.users and issues tokens. A repeated login with the
// credentials last verified for a user skips bcrypt: it is recognised by a
// keyed hash of the password (the key lives only in this process) together
// with the bcrypt hash it was verified against, so a changed config
// invalidates it. It then answers the same token while that has more than
// half its life left, so the store gains no row per call.
type logins struct {
	users  map[string]string // username -> bcrypt hash
	ttl    time.Duration
	store  TokenStore
	key    [32]byte
	slots  chan struct{} // bounds concurrent bcrypt work to the CPUs
	dummy  func() []byte // hash compared for unknown users, so they take as long
	mu     sync.Mutex
	recent map[string]verified
	now    func() time.Time
	// compare is bcrypt's check; tests count its calls through it.
	compare func(hash, password []byte) error
}

type verified struct {
	mac     [sha256.Size]byte
	hash    string    // the bcrypt hash the password was checked against
	at      time.Time // when bcrypt said yes
	token   string    // the last token issued for it
	expires time.Time
}

func newLogins(users map[string]string, ttl time.Duration, ts TokenStore) *logins {
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
// an unknown user costs what a known one does.
func dummyHash(users map[string]string) []byte {
	cost := bcrypt.MinCost
	for _, h := range users {
		if c, err := bcrypt.Cost([]byte(bcryptCompatible(h))); err == nil && c > cost {
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
	hash, known := l.users[user]
	mac := l.mac(user, password)
	l.mu.Lock()
	v, seen := l.recent[user]
	l.mu.Unlock()
	now := l.now()
	if !(known && seen && v.hash == hash && hmac.Equal(v.mac[:], mac[:]) && now.Sub(v.at) < l.ttl) {
		if err := l.verify(ctx, hash, known, password); err != nil {
			return "", err
		}
		v = verified{mac: mac, hash: hash, at: now}
	}
	if v.token != "" && v.expires.Sub(now) > l.ttl/2 && l.stillStored(ctx, v.token) {
		return v.token, nil
	}
	token, expires, err := l.issue(ctx, user, hash)
	if err != nil {
		return "", err
	}
	v.token, v.expires = token, expires
	l.mu.Lock()
	l.recent[user] = v
	l.mu.Unlock()
	return token, nil
}

// verify runs bcrypt, against the dummy hash for an unknown user, so the
// answer takes as long whether the user exists or not.
func (l *logins) verify(ctx context.Context, hash string, known bool, password string) error {
	select {
	case l.slots <- struct{}{}:
		defer func() { <-l.slots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	var against []byte
	if known {
		against = []byte(bcryptCompatible(hash))
	} else {
		against = l.dummy()
	}
	if l.compare(against, []byte(password)) != nil || !known {
		return errBadLogin
	}
	return nil
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

func (l *logins) issue(ctx context.Context, user, hash string) (string, time.Time, error) {
	if l.store == nil {
		return "", time.Time{}, errNoTokenStore
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	owner := store.TokenOwner{Username: user, Cred: credOf(hash)}
	expires, err := l.store.SaveToken(ctx, tokenHash(token), owner, l.ttl, tokensPerUser)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// valid reports whether tok is an unexpired token from auth/ whose user is
// still configured with the password it logged in with.
func (l *logins) valid(ctx context.Context, tok string) (bool, error) {
	if !looksIssued(tok) {
		return false, nil // not worth a store query
	}
	owner, ok, err := l.store.FindToken(ctx, tokenHash(tok))
	if err != nil || !ok {
		return false, err
	}
	hash, known := l.users[owner.Username]
	return known && hmac.Equal([]byte(credOf(hash)), []byte(owner.Cred)), nil
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

// credOf fingerprints a password hash, so that tokens stop working when the
// operator changes the password (and the hash) of their user.
func credOf(hash string) string {
	h := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(h[:8])
}

// UserVerifier checks a login of api.users as auth/ does, for the status
// page: bcrypt work bounded to the CPUs, an unknown user as slow to refuse
// as a known one, $2y$ hashes read as $2a$.
type UserVerifier struct{ l *logins }

// NewUserVerifier checks logins against users (username -> bcrypt hash).
func NewUserVerifier(users map[string]string) *UserVerifier {
	return &UserVerifier{l: newLogins(users, 0, nil)}
}

// Verify returns nil when password is user's, and an error saying only
// "invalid username or password" otherwise.
func (v *UserVerifier) Verify(ctx context.Context, user, password string) error {
	hash, known := v.l.users[user]
	return v.l.verify(ctx, hash, known, password)
}
