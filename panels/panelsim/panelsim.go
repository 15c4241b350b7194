// Package panelsim emulates intercom panels over HTTP for tests, the demo and
// benchmarks: Beward DKS with the internal key table ("beward") or the mifare
// and external tables ("beward-mifare"), Sokol / IS ISCom X1 ("sokol") and
// Qtech QDB-27C-H ("qtech"), Rubetek RV-3434/3437 ("rubetek") and Akuvox
// E12 ("akuvox"), R20A ("akuvox-r20a") and S532 ("akuvox-s532").
// Each Panel keeps its keys in memory, enforces HTTP Basic auth (Digest on
// an Akuvox) and answers as
// docs/panels.md says the families do; fault switches (latency, errors, hangs,
// resets, garbage, 401, 401 on writes only, writes acknowledged but not kept, capacity, writes
// applied late or slowly, lost answers, a reboot that empties the tables,
// foreign entries in listings) can be flipped while it serves.
package panelsim

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"yardsync/reconcile"
)

// Families an emulator can play.
const (
	Beward       = "beward"        // Beward DKS, internal rfid_cgi key table
	BewardMifare = "beward-mifare" // Beward DKS, mifare_cgi + extrfid_cgi tables
	Sokol        = "sokol"         // IS ISCom X1 (Sokol), JSON key store
	Qtech        = "qtech"         // Qtech QDB-27C-H, POST /api envelopes, keys bound to no flat
	Rubetek      = "rubetek"       // Rubetek RV-3434/3437, /api/v1/rfids, packs of 400, keys bound to no flat
	Akuvox       = "akuvox"        // Akuvox E12: Digest, /api/user/*, up to 4 codes a user, 1,000 users
	AkuvoxR20A   = "akuvox-r20a"   // Akuvox R20A: as the E12, 4,000 users
	AkuvoxS532   = "akuvox-s532"   // Akuvox S532: keys are users RFIDx<code>, flats FLATx<n>, 10,000 users
)

// simFamilies lists every family an emulator plays, in the order messages name them.
var simFamilies = []string{Beward, BewardMifare, Sokol, Qtech, Rubetek, Akuvox, AkuvoxR20A, AkuvoxS532}

// Families lists the families an emulator plays.
func Families() []string { return slices.Clone(simFamilies) }

// CheckFamily returns an error unless family is one an emulator plays.
func CheckFamily(family string) error {
	if slices.Contains(simFamilies, family) {
		return nil
	}
	return fmt.Errorf("panelsim: unknown family %q: want one of %s", family, strings.Join(simFamilies, ", "))
}

// Faults are the misbehaviours a Panel can be switched to.
type Faults struct {
	Latency      time.Duration // delay before every answer
	ErrorRate    float64       // share of requests answered 500, 0 to 1
	Hang         bool          // never answer; the client must time out
	Reset        bool          // reset the TCP connection instead of answering
	Garbage      bool          // answer 200 with a body no panel would send
	Unauthorized bool          // answer 401 whatever the credentials
	// RefuseWrites answers 401 to key writes (adds, deletes, clears) while
	// lists, probes and saves work, as a panel account that may only read.
	RefuseWrites bool
	// DropAdds acknowledges adds (Beward add, Sokol merge) as a success but
	// keeps nothing, as a panel with a failing flash or a full table that
	// does not say so might.
	DropAdds bool
	// DropDeletes acknowledges deletes and clears as a success but keeps
	// the keys.
	DropDeletes bool
	// HideFlats makes a Beward list keys without Apartment<n> lines, as
	// firmware that keeps no flat beside a key does.
	HideFlats bool
	// DropCalls acknowledges writes of a flat's call switches but keeps
	// nothing.
	DropCalls bool

	// LateApply acknowledges key writes at once (whatever their outcome)
	// and applies them this much later, in the order they came: one queue
	// per panel, as a panel with a lagging write queue has. Listings show
	// the tables as applied so far. A write that comes while earlier ones
	// wait joins the queue, even once LateApply is switched off.
	LateApply time.Duration
	// WriteDelay holds a key write this long, then applies and answers it.
	// Unlike Latency it goes on when the client gives up: the write lands
	// although the client saw a timeout, as on a slow panel. Key writes
	// are worked on one at a time, so the next one waits for it.
	WriteDelay time.Duration
	// LoseAnswer applies the key writes of these kinds, then resets the
	// connection instead of answering, on every try.
	LoseAnswer Writes
	// RebootAfter empties every key table once, when the panel has applied
	// that many key writes since the faults were last set, and serves on:
	// a reboot that lost the flash. 0 means never.
	RebootAfter int
	// Junk lists that many foreign entries yardsync cannot read before the
	// keys: on a Beward key lines whose Apartment is not a number
	// (Apartment1=12a, listed even with HideFlats), on a Sokol store
	// entries with no uuid. They are in no table: no write changes them,
	// but a Sokol clear empties the whole store, these entries too.
	Junk int
}

// Options configure a Panel.
type Options struct {
	Login    string   // Basic auth user; empty means "admin"
	Password string   // Basic auth password; empty means "admin"
	DeviceID string   // reported by the liveness call; empty means "sim-<family>"
	Capacity int      // maximum keys per table (users on an Akuvox); 0 means unlimited (an Akuvox: its model's limit)
	Faults   Faults   // initial fault switches
	Firmware Firmware // firmware variant; see SetFirmware
}

// Request is one request as the panel received it, for wire-format tests.
type Request struct {
	Method string
	Path   string // URL path, unescaped
	Query  string // raw query string, as sent
	Body   string
	Authed bool // credentials matched
	// Write is set on a key write (add, delete, clear, update) to a table
	// the panel has; not on a list, a probe, a save or a refused method.
	Write bool
}

// Panel is one emulated panel: an http.Handler, safe for concurrent use.
type Panel struct {
	family string
	opts   Options
	done   chan struct{} // closed by Close to release hanging requests
	close  sync.Once
	// writing is held while a key write is worked on: one at a time, so a
	// write never overtakes a slow one (WriteDelay) its client gave up on.
	writing sync.Mutex

	mu       sync.Mutex
	keys     map[string]int         // the listed table: rfid, mifare or the Sokol store
	fields   map[string]sokolFields // Sokol with Firmware.Rev5: each uuid's other fields, as merged
	ext      map[string]int         // beward-mifare: the external reader table
	rfid     map[string]int         // beward-mifare with Firmware.BothTables: rfid_cgi
	users    []AkuvoxUser           // akuvox: the users, in the order they are listed
	nonces   map[string]uint64      // akuvox: Digest nonces given out, with the last nc seen
	nextUser int                    // akuvox: the last user ID given
	faults   Faults
	log      []Request
	saves    int
	writes   int               // key writes applied since the faults were set (RebootAfter)
	flats    map[int]flatState // flats whose call switches were set (calls.go)

	late     []lateWrite // LateApply's queue, oldest first
	draining bool        // a goroutine applies the queue

	hook        Hook // see SetHook
	inFlight    int  // requests being answered now
	maxInFlight int  // the most at once, see MaxInFlight
}

// New returns an emulated panel of the family; it panics on an unknown family
// (check user input with CheckFamily).
func New(family string, opts Options) *Panel {
	if err := CheckFamily(family); err != nil {
		panic(err)
	}
	if opts.Login == "" {
		opts.Login = "admin"
	}
	if opts.Password == "" {
		opts.Password = "admin"
	}
	if opts.DeviceID == "" {
		opts.DeviceID = "sim-" + family
	}
	return &Panel{family: family, opts: opts, done: make(chan struct{}),
		keys: map[string]int{}, fields: map[string]sokolFields{}, ext: map[string]int{}, rfid: map[string]int{}, nonces: map[string]uint64{}, faults: opts.Faults}
}

// Family is the emulated family.
func (p *Panel) Family() string { return p.family }

// Close releases requests held by the Hang, Latency or WriteDelay faults and
// stops applying LateApply's queue.
func (p *Panel) Close() { p.close.Do(func() { close(p.done) }) }

// Keys returns the listed key table, sorted by code; on an Akuvox every
// code of every key user (an S532's RFIDx users), verbatim, on flat 0.
func (p *Panel) Keys() []reconcile.PanelKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if isAkuvox(p.family) {
		return p.akuvoxKeys()
	}
	return sorted(p.keys)
}

// ExtKeys returns the external reader table of a beward-mifare panel, sorted.
func (p *Panel) ExtKeys() []reconcile.PanelKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sorted(p.ext)
}

// SetKeys replaces every key table with keys (verbatim, not validated); an
// Akuvox gets a user for each key (an S532 an RFIDx user).
func (p *Panel) SetKeys(keys []reconcile.PanelKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if isAkuvox(p.family) {
		p.setAkuvoxKeys(keys)
		return
	}
	p.keys, p.ext, p.fields = map[string]int{}, map[string]int{}, map[string]sokolFields{}
	for _, k := range keys {
		p.keys[k.Code] = k.Flat
		if p.family == BewardMifare {
			p.ext[k.Code] = k.Flat
		}
	}
}

// SetExtKeys replaces the external reader table of a beward-mifare panel only,
// to set up a table left half-written.
func (p *Panel) SetExtKeys(keys []reconcile.PanelKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ext = map[string]int{}
	for _, k := range keys {
		p.ext[k.Code] = k.Flat
	}
}

// SetFaults switches the panel's faults; RebootAfter counts writes from
// here.
func (p *Panel) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
	p.writes = 0
}

// SetCapacity switches the maximum number of keys per table; 0 means
// unlimited. Keys already over it stay; adds beyond it are refused.
func (p *Panel) SetCapacity(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts.Capacity = n
}

// Faults returns the current fault switches.
func (p *Panel) Faults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// Requests returns a copy of the request log, oldest first.
func (p *Panel) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

// ResetRequests empties the request log.
func (p *Panel) ResetRequests() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

// Saves counts Beward config_cgi forcesave calls.
func (p *Panel) Saves() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saves
}

func sorted(m map[string]int) []reconcile.PanelKey {
	out := make([]reconcile.PanelKey, 0, len(m))
	for code, flat := range m {
		out = append(out, reconcile.PanelKey{Code: code, Flat: flat})
	}
	slices.SortFunc(out, func(a, b reconcile.PanelKey) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// ServeHTTP logs the request, applies the faults, checks credentials and
// answers as the family does.
func (p *Panel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hook, leave := p.enter()
	defer leave()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	authed, stale := p.authed(r)
	kind := p.writeKind(r, body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Authed: authed, Write: kind != 0}
	f := p.record(req)
	if hook != nil {
		hook(r.Context(), req)
	}
	if p.misbehave(w, r, f) {
		return
	}
	if !authed || f.Unauthorized || f.RefuseWrites && req.Write {
		p.unauthorized(w, stale && !authed)
		return
	}
	if f.Garbage {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(garbage)
		return
	}
	if kind != 0 {
		p.serveWrite(w, r, body, kind, f)
		return
	}
	p.serveFamily(w, r, body)
}

// serveFamily answers as the family does.
func (p *Panel) serveFamily(w http.ResponseWriter, r *http.Request, body []byte) {
	switch p.family {
	case Sokol:
		p.serveSokol(w, r, body)
	case Qtech:
		p.serveQtech(w, r, body)
	case Rubetek:
		p.serveRubetek(w, r, body)
	case Akuvox, AkuvoxR20A, AkuvoxS532:
		p.serveAkuvox(w, r, body)
	default:
		p.serveBeward(w, r)
	}
}

// record appends to the log and returns the faults in force for this request.
func (p *Panel) record(req Request) Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, req)
	return p.faults
}

// authed checks the request's credentials: HTTP Basic, or Digest on an
// Akuvox (stale: right credentials under a nonce the panel dropped).
func (p *Panel) authed(r *http.Request) (ok, stale bool) {
	if isAkuvox(p.family) {
		return p.digestAuth(r)
	}
	user, pass, ok := r.BasicAuth()
	return ok && user == p.opts.Login && pass == p.opts.Password, false
}

// unauthorized answers 401 with the family's challenge; stale only matters
// to Digest.
func (p *Panel) unauthorized(w http.ResponseWriter, stale bool) {
	if isAkuvox(p.family) {
		p.challenge(w, stale)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"retcode": -1, "message": "Unauthorized"})
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="`+p.family+`"`)
	switch p.family {
	case Sokol:
		writeJSON(w, http.StatusUnauthorized, errorsBody("Authentication failed"))
		return
	case Qtech:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"retcode": -1, "message": "Unauthorized"})
		return
	case Rubetek:
		writeJSON(w, http.StatusUnauthorized, rubetekMessage("Unauthorized"))
		return
	}
	http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
}
