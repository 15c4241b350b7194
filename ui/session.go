package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Cookie and form names.
const (
	sessionCookie = "yardsync_ui"
	loginCookie   = "yardsync_ui_login" // CSRF token of the login form, before there is a session
	csrfField     = "csrf"
)

// maxSessions bounds the memory sessions hold; at the bound the oldest goes.
const maxSessions = 10000

// session is one login. Sessions live in this process only: a restart, or
// another instance behind the same address, asks to log in again.
type session struct {
	id      string
	user    string
	csrf    string // the token every form of this session carries
	expires time.Time
}

type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration
	byID map[string]session
	now  func() time.Time
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, byID: map[string]session{}, now: time.Now}
}

// create starts a session for user.
func (s *sessions) create(user string) session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ses := session{id: randomToken(), user: user, csrf: randomToken(), expires: now.Add(s.ttl)}
	s.dropExpired(now)
	if len(s.byID) >= maxSessions {
		s.dropOldest()
	}
	s.byID[ses.id] = ses
	return ses
}

// fromRequest finds the request's unexpired session.
func (s *sessions) fromRequest(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[c.Value]
	if !ok || !s.now().Before(ses.expires) {
		delete(s.byID, c.Value)
		return session{}, false
	}
	return ses, true
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
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
// SameSite=Strict, and Secure when the request came over TLS.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
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
