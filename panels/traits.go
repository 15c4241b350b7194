package panels

import "sync"

// tristate is something learnt about a panel: not yet known, yes or no.
type tristate int8

const (
	unknown tristate = iota
	yes
	no
)

// traits is what clients have learnt about one panel's firmware, so later
// sessions neither probe again nor repeat a request the panel refuses.
type traits struct {
	table   bewardTable // Beward: the table yardsync adds to
	rfidToo tristate    // Beward mifare: rfid_cgi is a second key table
	flats   tristate    // Beward: lists Apartment<n> beside its keys
	extApt  tristate    // Beward mifare: extrfid_cgi takes Apartment on add
	keyMode tristate    // Sokol: /key/settings checked and in mode 2
	akuvox  akuvoxModel // Akuvox: the model /api/system/info named; "" until probed
	rev5    tristate    // Sokol: /system/info names an IS rev.5 (written by clear + whole list)
}

// traitCache remembers traits per panel address. A Dialer's clients share
// one; a client from New has its own.
type traitCache struct {
	mu sync.Mutex
	m  map[string]traits
}

func newTraitCache() *traitCache { return &traitCache{m: map[string]traits{}} }

func (tc *traitCache) get(addr string) traits {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.m[addr]
}

// update changes the traits of addr under the lock.
func (tc *traitCache) update(addr string, fn func(*traits)) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t := tc.m[addr]
	fn(&t)
	tc.m[addr] = t
}

// forget drops everything learnt about addr: a panel replaced by another
// model is probed afresh.
func (tc *traitCache) forget(addr string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	delete(tc.m, addr)
}
