package reconcile

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"sync"
)

// DesireCache keeps the desired state the last full observation built,
// keyed by a fingerprint of the inputs it was built from, so a daemon's
// next run whose inputs are the same reuses it instead of building it
// again. At 100,000 contracts building it is ~0.3 s of CPU and ~25 MB of
// garbage a run; the fingerprint is a few tens of milliseconds.
//
// The fingerprint is a sum of two seeded 64-bit hashes over every input
// row, so it does not depend on row order; the seeds are random per
// process, so no billing row can be chosen to collide with another. A
// fingerprint that differs only costs a rebuild: rows listed twice, or any
// change at all, rebuild. Desired is only read once built, so runs share it.
// A nil cache builds every time.
type DesireCache struct {
	seeds [2]maphash.Seed
	mu    sync.Mutex
	fp    [2]uint64
	d     *Desired
}

// NewDesireCache returns an empty cache.
func NewDesireCache() *DesireCache {
	return &DesireCache{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// desire returns Desire(in), reusing the last result when in fingerprints
// the same as the inputs it came from. in must be a full observation.
func (c *DesireCache) desire(in Inputs) Desired {
	if c == nil {
		return Desire(in)
	}
	fp, ok := c.fingerprint(in)
	if !ok {
		return Desire(in)
	}
	c.mu.Lock()
	if c.d != nil && c.fp == fp {
		d := *c.d
		c.mu.Unlock()
		return d
	}
	c.d = nil // not kept while the next is built: two would be held at once
	c.mu.Unlock()
	d := Desire(in)
	c.mu.Lock()
	c.fp, c.d = fp, &d
	c.mu.Unlock()
	return d
}

// fingerprint hashes every row of in. Each row is tagged with its kind, so
// equal bytes in two kinds differ.
func (c *DesireCache) fingerprint(in Inputs) (fp [2]uint64, ok bool) {
	f := fingerprinter{seeds: c.seeds}
	for _, k := range in.Contracts {
		f.row('c').int(k.UID).str(k.Flat).bool(k.CamsOpen).bool(k.CamsPaid).add()
	}
	for uid, ids := range in.Rights {
		for _, id := range ids {
			f.row('r').int(uid).int(int64(id)).add()
		}
	}
	for uid, codes := range in.Keys {
		for _, code := range codes {
			f.row('k').int(uid).str(code).add()
		}
	}
	for _, d := range in.Devices {
		f.row('d').json(d).add()
	}
	for _, d := range in.Doors {
		f.row('o').json(d).add()
	}
	for _, t := range in.Tombstones {
		f.row('t').int(int64(t.ID)).int(int64(t.Family)).str(t.IP).str(t.Login).str(t.Password).add()
	}
	return f.sum, !f.spoilt
}

// fingerprinter builds one row's bytes and adds its hashes to the sum.
type fingerprinter struct {
	seeds  [2]maphash.Seed
	buf    []byte
	sum    [2]uint64
	spoilt bool
}

func (f *fingerprinter) row(kind byte) *fingerprinter {
	f.buf = append(f.buf[:0], kind)
	return f
}

func (f *fingerprinter) int(v int64) *fingerprinter {
	f.buf = binary.LittleEndian.AppendUint64(f.buf, uint64(v))
	return f
}

func (f *fingerprinter) str(s string) *fingerprinter {
	f.int(int64(len(s)))
	f.buf = append(f.buf, s...)
	return f
}

func (f *fingerprinter) bool(b bool) *fingerprinter {
	if b {
		f.buf = append(f.buf, 1)
	} else {
		f.buf = append(f.buf, 0)
	}
	return f
}

// json appends v's JSON: every field of a device or door, pointers
// followed. A value JSON cannot hold (a NaN longitude) spoils the
// fingerprint: such inputs are never reused.
func (f *fingerprinter) json(v any) *fingerprinter {
	b, err := json.Marshal(v)
	if err != nil {
		f.spoilt = true
	}
	return f.str(string(b))
}

func (f *fingerprinter) add() {
	f.sum[0] += maphash.Bytes(f.seeds[0], f.buf)
	f.sum[1] += maphash.Bytes(f.seeds[1], f.buf)
}
