package panelsim

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// akuvoxRealm is the Digest realm an emulated Akuvox challenges with.
const akuvoxRealm = "HTTPAPI"

// maxNonces bounds the nonces a panel remembers; a forgotten one is stale.
const maxNonces = 64

// digestAuth checks a request's Digest Authorization (MD5, qop=auth) as an
// Akuvox does. ok: the credentials and nonce are good and nc is new.
// stale: the response is right for the credentials but its nonce is one
// the panel no longer keeps (ExpireNonces) or nc was used before; a client
// answers that by taking the fresh nonce.
func (p *Panel) digestAuth(r *http.Request) (ok, stale bool) {
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false, false
	}
	f := digestParams(rest)
	if f["username"] != p.opts.Login || f["realm"] != akuvoxRealm || f["uri"] != r.URL.RequestURI() || f["qop"] != "auth" {
		return false, false
	}
	ha1 := md5hex(p.opts.Login + ":" + akuvoxRealm + ":" + p.opts.Password)
	ha2 := md5hex(r.Method + ":" + f["uri"])
	want := md5hex(ha1 + ":" + f["nonce"] + ":" + f["nc"] + ":" + f["cnonce"] + ":auth:" + ha2)
	if f["response"] != want {
		return false, false
	}
	nc, err := strconv.ParseUint(f["nc"], 16, 32)
	if err != nil {
		return false, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	last, known := p.nonces[f["nonce"]]
	if !known || nc <= last {
		return false, true
	}
	p.nonces[f["nonce"]] = nc
	return true, false
}

// challenge sets a WWW-Authenticate Digest header with a new nonce.
func (p *Panel) challenge(w http.ResponseWriter, stale bool) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	p.mu.Lock()
	if len(p.nonces) >= maxNonces {
		clear(p.nonces)
	}
	p.nonces[nonce] = 0
	p.mu.Unlock()
	h := `Digest realm="` + akuvoxRealm + `", qop="auth", algorithm=MD5, nonce="` + nonce + `"`
	if stale {
		h += ", stale=true"
	}
	w.Header().Set("WWW-Authenticate", h)
}

// ExpireNonces forgets every nonce the panel gave out, as a panel whose
// nonces time out (or that rebooted) does: the next request under one is
// answered 401 with stale=true.
func (p *Panel) ExpireNonces() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.nonces)
}

// digestParams reads name=value and name="value" pairs (values hold no
// commas or quotes in the headers clients send here).
func digestParams(s string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			out[strings.ToLower(name)] = strings.Trim(value, `"`)
		}
	}
	return out
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
