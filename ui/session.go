package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"yardsync/internal/access"
	"yardsync/internal/realip"
	"yardsync/store"
)

// Cookie and form names.
const (
	sessionCookie = "yardsync_ui"
	loginCookie   = "yardsync_ui_login" // CSRF token of the login form, before there is a session
	csrfField     = "csrf"
)

// maxSessions bounds the memory sessions hold; at the bound the oldest goes.
const maxSessions = 10000

// session is one login.
type session struct {
	id      string
	user    string
	cred    string // the user's access.Cred at login: the session ends when it changes
	csrf    string // the token every form of this session carries
	expires time.Time
	role    access.Role // the user's role now, set by Handler.session
}

// SessionStore keeps logins where every instance finds them (store.DB):
// by the SHA-256 hash of the session id, expiring by the store's clock.
type SessionStore interface {
	SaveSession(ctx context.Context, hash []byte, s store.Session, ttl time.Duration) (time.Time, error)
	FindSession(ctx context.Context, hash []byte) (store.Session, bool, error)
	DeleteSession(ctx context.Context, hash []byte) error
}

// sessions are the logins: in the store when there is one, so a login
// holds on every instance behind one address and across restarts; in this
// process's memory otherwise.
type sessions struct {
	db   SessionStore // nil: memory
	mu   sync.Mutex
	ttl  time.Duration
	byID map[string]session
	now  func() time.Time
}

func newSessions(ttl time.Duration, db SessionStore) *sessions {
	return &sessions{db: db, ttl: ttl, byID: map[string]session{}, now: time.Now}
}

// create starts a session for user, granted acc.
func (s *sessions) create(ctx context.Context, user string, acc access.Account) (session, error) {
	ses := session{id: randomToken(), user: user, cred: acc.Cred, csrf: randomToken(), role: acc.Role}
	if s.db != nil {
		var err error
		ses.expires, err = s.db.SaveSession(ctx, hashID(ses.id), store.Session{Username: user, Cred: acc.Cred, CSRF: ses.csrf}, s.ttl)
		return ses, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ses.expires = now.Add(s.ttl)
	s.dropExpired(now)
	if len(s.byID) >= maxSessions {
		s.dropOldest()
	}
	s.byID[ses.id] = ses
	return ses, nil
}

// fromRequest finds the request's unexpired session. A store that cannot
// be read is an error, not a missing session.
func (s *sessions) fromRequest(r *http.Request) (session, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false, nil
	}
	if s.db != nil {
		st, ok, err := s.db.FindSession(r.Context(), hashID(c.Value))
		return session{id: c.Value, user: st.Username, cred: st.Cred, csrf: st.CSRF, expires: st.Expires}, ok, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[c.Value]
	if !ok || !s.now().Before(ses.expires) {
		delete(s.byID, c.Value)
		return session{}, false, nil
	}
	return ses, true, nil
}

func (s *sessions) remove(ctx context.Context, id string) error {
	if s.db != nil {
		return s.db.DeleteSession(ctx, hashID(id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
	return nil
}

// hashID is what the store keeps of a session id.
func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

func (s *sessions) dropExpired(now time.Time) {
	for id, ses := range s.byID {
		if !now.Before(ses.expires) {
			delete(s.byID, id)
		}
	}
}

func (s *sessions) dropOldest() {
	var oldest session
	for _, ses := range s.byID {
		if oldest.id == "" || ses.expires.Before(oldest.expires) {
			oldest = ses
		}
	}
	delete(s.byID, oldest.id)
}

// setCookie writes a cookie only this site's own pages send back: HttpOnly,
// SameSite=Strict, and Secure when the request came over TLS, directly or
// through a trusted proxy that says so (X-Forwarded-Proto, read by the API's
// listener into realip).
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: realip.From(r).TLS}
	if value == "" {
		c.MaxAge = -1
	} else if !expires.IsZero() {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ui: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sameToken compares in constant time; an empty token never matches.
func sameToken(given, want string) bool {
	return given != "" && want != "" && subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
}
