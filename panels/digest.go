package panels

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// digest is HTTP Digest authentication (RFC 7616 with MD5 and qop=auth, as
// Akuvox firmware asks for it) over another RoundTripper. A request goes out
// with the nonce last learnt; a 401 with a fresh challenge (the first one,
// or one that says stale=true) is retried once under it. A 401 to a request
// that already carried a current nonce is the panel's answer: wrong
// credentials. It holds one panel's nonce: one per Client.
type digest struct {
	base            http.RoundTripper
	login, password string

	mu sync.Mutex
	ch *challenge // nil until the panel challenged
	nc uint32     // requests sent under ch.nonce
}

// challenge is what a WWW-Authenticate: Digest header says.
type challenge struct {
	realm, nonce, opaque, algorithm string
	qopAuth, stale                  bool
}

func newDigest(base http.RoundTripper, login, password string) *digest {
	return &digest{base: base, login: login, password: password}
}

// RoundTrip sends req, answering a challenge once. The body is read into
// memory first (panel requests are small) so the retry can send it again.
func (d *digest) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	d.mu.Lock()
	hadNonce := d.ch != nil
	d.mu.Unlock()
	resp, err := d.send(req, body)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	ch, ok := parseChallenge(resp.Header.Values("WWW-Authenticate"))
	if !ok || hadNonce && !ch.stale {
		return resp, nil // wrong credentials, or no Digest challenge at all
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.mu.Lock()
	d.ch, d.nc = &ch, 0
	d.mu.Unlock()
	return d.send(req, body)
}

// send sends a copy of req with the Authorization the current nonce gives
// (none before the first challenge).
func (d *digest) send(req *http.Request, body []byte) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Del("Authorization")
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	if auth := d.authorization(r.Method, r.URL.RequestURI()); auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return d.base.RoundTrip(r)
}

// authorization is the header for one request under the current nonce,
// counting it (nc); "" before the first challenge.
func (d *digest) authorization(method, uri string) string {
	d.mu.Lock()
	if d.ch == nil {
		d.mu.Unlock()
		return ""
	}
	ch := *d.ch
	d.nc++
	nc := fmt.Sprintf("%08x", d.nc)
	d.mu.Unlock()
	cnonce := newCnonce()
	ha1 := md5hex(d.login + ":" + ch.realm + ":" + d.password)
	ha2 := md5hex(method + ":" + uri)
	var response string
	if ch.qopAuth {
		response = md5hex(ha1 + ":" + ch.nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	} else {
		response = md5hex(ha1 + ":" + ch.nonce + ":" + ha2) // RFC 2069, for firmware that offers no qop
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q`, d.login, ch.realm, ch.nonce, uri, response)
	if ch.algorithm != "" {
		fmt.Fprintf(&b, `, algorithm=%s`, ch.algorithm)
	}
	if ch.opaque != "" {
		fmt.Fprintf(&b, `, opaque=%q`, ch.opaque)
	}
	if ch.qopAuth {
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce=%q`, nc, cnonce)
	}
	return b.String()
}

// parseChallenge reads the first Digest challenge among the headers that
// uses MD5 (the only algorithm yardsync speaks).
func parseChallenge(headers []string) (challenge, bool) {
	for _, h := range headers {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
		if !strings.EqualFold(scheme, "Digest") {
			continue
		}
		p := authParams(rest)
		ch := challenge{realm: p["realm"], nonce: p["nonce"], opaque: p["opaque"], algorithm: p["algorithm"],
			stale: strings.EqualFold(p["stale"], "true")}
		if ch.algorithm != "" && !strings.EqualFold(ch.algorithm, "MD5") || ch.nonce == "" {
			continue
		}
		for _, q := range strings.Split(p["qop"], ",") {
			ch.qopAuth = ch.qopAuth || strings.TrimSpace(q) == "auth"
		}
		return ch, true
	}
	return challenge{}, false
}

// authParams reads the comma-separated name=value or name="value" pairs of
// an auth header; names are lower-cased.
func authParams(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(strings.TrimSpace(s), ",") {
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		name = strings.ToLower(strings.TrimSpace(name))
		rest = strings.TrimSpace(rest)
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := closingQuote(rest)
			value = strings.ReplaceAll(rest[1:end], `\"`, `"`)
			s = rest[min(end+1, len(rest)):]
		} else {
			value, s, _ = strings.Cut(rest, ",")
			value = strings.TrimSpace(value)
		}
		out[name] = value
	}
	return out
}

// closingQuote is the index of the quote that ends a quoted string starting
// at s[0], or len(s) when none does.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(s)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newCnonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
