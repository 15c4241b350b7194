package panels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"yardsync/reconcile"
)

// An IS rev.5 (new firmware, SmartYard-Server's is5 driver) is written the
// way that driver writes it: a session's adds and deletes are held against
// the store as the session read it, and Finish uploads the resulting store
// as DELETE /key/store/clear and one PUT /key/store/merge. Every entry the
// session did not change goes back exactly as it was listed (its JSON
// object verbatim), so another system's keys keep their doors, encryption
// and profiles. Where that cannot be done safely the session's writes go
// key by key, as on a rev.2: see upload.

// sokolBatch is a rev.5 session's key writes, held until Finish.
type sokolBatch struct {
	ops []sokolOp
	// carry is the store as read before an upload whose clear went out and
	// whose merge was not answered with a success: the clear may have taken
	// it, so the next upload (Finish retried) puts back what it lacks.
	carry []sokolEntry
}

// sokolOp is one held write: a delete of a code as listed, or an add.
type sokolOp struct {
	del string
	add []reconcile.PanelKey
}

// sokolEntry is one store entry: code and flat as read, and its object.
type sokolEntry struct {
	code string
	flat int
	raw  json.RawMessage
}

// addKeys adds keys: held for the upload on a rev.5, else sent now.
func (s *sokol) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	if held, err := s.hold(ctx, sokolOp{add: slices.Clone(keys)}); held || err != nil {
		return err
	}
	return s.addNow(ctx, keys)
}

// deleteKey deletes code: held for the upload on a rev.5, else sent now.
func (s *sokol) deleteKey(ctx context.Context, code string) error {
	if held, err := s.hold(ctx, sokolOp{del: code}); held || err != nil {
		return err
	}
	return s.deleteNow(ctx, code)
}

// hold keeps op for Finish when the panel is a rev.5 and this session
// holds writes already or last listed a store it can read whole; a store
// with entries yardsync cannot read is written key by key from the start.
func (s *sokol) hold(ctx context.Context, op sokolOp) (bool, error) {
	rev5, err := s.rev5(ctx)
	if err != nil || !rev5 {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.batch == nil {
		if s.rawOK && s.c.Skipped() > 0 {
			return false, nil
		}
		s.batch = &sokolBatch{}
	}
	s.batch.ops = append(s.batch.ops, op)
	return true, nil
}

// holdWhole holds the writes that make the store exactly keys (held is
// the store as listed): a delete of every code not in keys, then keys.
func (s *sokol) holdWhole(held map[string]int, keys []reconcile.PanelKey) {
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k.Code] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.batch == nil {
		s.batch = &sokolBatch{}
	}
	for _, code := range slices.Sorted(maps.Keys(held)) {
		if !want[code] {
			s.batch.ops = append(s.batch.ops, sokolOp{del: code})
		}
	}
	s.batch.ops = append(s.batch.ops, sokolOp{add: slices.Clone(keys)})
}

// finish uploads a rev.5 session's held writes. On an error the writes not
// known done stay held, so a retried Finish picks up where this one
// stopped; the read-back decides what counts.
func (s *sokol) finish(ctx context.Context) error {
	s.up.Lock() // one upload at a time: it works on the batch outside s.mu
	defer s.up.Unlock()
	s.mu.Lock()
	b := s.batch
	s.mu.Unlock()
	if b == nil || len(b.ops) == 0 {
		return nil
	}
	err := s.upload(ctx, b)
	if err == nil {
		s.mu.Lock()
		s.batch = nil
		s.mu.Unlock()
	}
	return err
}

// upload makes the store what the held writes make of it: clear and one
// merge, carrying every entry they do not change as listed. It goes key by
// key instead (the writes in their order, as on a rev.2) when the store
// holds an entry yardsync cannot read (a clear would take it and no merge
// could put it back), or when the result holds more entries than the store
// did: a merge that does not fit after the clear would leave the panel
// empty, while the same keys fitted before it.
func (s *sokol) upload(ctx context.Context, b *sokolBatch) error {
	store, readable, err := s.storeEntries(ctx)
	if err != nil {
		return err
	}
	base := withCarry(store, b.carry)
	result := applyOps(base, b.ops)
	if !readable || len(result) > len(base) {
		return s.keyByKey(ctx, b, store)
	}
	if sameKeys(result, store) { // nothing to do, or a retry after a lost answer finds it done
		b.ops, b.carry = nil, nil
		return nil
	}
	var body []byte // nil: the clear alone
	if len(result) > 0 {
		body = rawArray(result)
	}
	carry := b.carry
	b.carry = base
	cleared, merged := s.clearMerge(ctx, body)
	switch {
	case cleared == nil && merged == nil:
		b.ops, b.carry = nil, nil
	case errors.Is(cleared, errNotSent):
		b.carry = carry
	case merged != nil && !reconcile.IsTransient(merged):
		merged = errors.Join(merged, s.putBack(ctx, base, b.ops))
	}
	return errors.Join(cleared, merged)
}

// putBack follows a merge the panel refused after the clear: it merges the
// store as read with only the held deletes made, so the panel keeps what it
// had (but the revoked keys) when the refusal was about a new entry. One
// try: a retried Finish lists the store and puts back what it lacks.
func (s *sokol) putBack(ctx context.Context, base []sokolEntry, ops []sokolOp) error {
	var dels []sokolOp
	for _, op := range ops {
		if op.add == nil {
			dels = append(dels, op)
		}
	}
	kept := applyOps(base, dels)
	if len(kept) == 0 {
		return nil
	}
	return s.forget(s.write(ctx, http.MethodPut, "/key/store/merge", rawArray(kept)))
}

// storeEntries returns the store as this session last listed it, listing
// it first unless that listing is still fresh and the panel answered the
// last request sent to it: a panel that just stopped answering (its call
// switches timed out, say) gets no clear unless it answers a listing
// first. readable is false when an entry has no uuid or an unreadable
// panelCode.
func (s *sokol) storeEntries(ctx context.Context) (entries []sokolEntry, readable bool, err error) {
	s.mu.Lock()
	raw, ok := s.raw, s.rawOK
	s.mu.Unlock()
	if !ok || s.c.faltering.Load() {
		if _, err := s.listKeys(ctx); err != nil {
			return nil, false, err
		}
		s.mu.Lock()
		raw = s.raw
		s.mu.Unlock()
	}
	var objs []json.RawMessage
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &objs); err != nil {
			return nil, false, s.c.fail(reconcile.ErrPermanent, "GET /key/store", "unparsable answer %s: %v", snippet(raw), err)
		}
	}
	readable = true
	for _, o := range objs {
		var k sokolListed
		if json.Unmarshal(o, &k) != nil || k.UUID == "" || k.PanelCode == badFlat {
			readable = false
			continue
		}
		entries = append(entries, sokolEntry{code: string(k.UUID), flat: int(k.PanelCode), raw: o})
	}
	return entries, readable, nil
}

// withCarry adds to store the entries of carry it lacks.
func withCarry(store, carry []sokolEntry) []sokolEntry {
	if len(carry) == 0 {
		return store
	}
	out := slices.Clone(store)
	for _, e := range carry {
		if !slices.ContainsFunc(store, func(x sokolEntry) bool { return x.code == e.code }) {
			out = append(out, e)
		}
	}
	return out
}

// applyOps returns base with the writes made, in order. A delete takes the entry listed under that code; an add of a
// code already on its flat keeps its entry as listed, any other add (or
// rebind) is a new object opening every door, as addNow merges.
func applyOps(base []sokolEntry, ops []sokolOp) []sokolEntry {
	out := slices.Clone(base)
	at := func(code string) int { return slices.IndexFunc(out, func(e sokolEntry) bool { return e.code == code }) }
	for _, op := range ops {
		if op.add == nil {
			if i := at(op.del); i >= 0 {
				out = slices.Delete(out, i, i+1)
			}
			continue
		}
		for _, k := range op.add {
			i := at(k.Code)
			if i >= 0 && out[i].flat == k.Flat {
				continue
			}
			raw, _ := json.Marshal(sokolKey{UUID: k.Code, PanelCode: flexInt(k.Flat), Access: fullAccess()})
			e := sokolEntry{code: k.Code, flat: k.Flat, raw: raw}
			if i >= 0 {
				out[i] = e
			} else {
				out = append(out, e)
			}
		}
	}
	return out
}

// sameKeys reports whether two stores hold the same codes on the same flats.
func sameKeys(a, b []sokolEntry) bool {
	if len(a) != len(b) {
		return false
	}
	flats := make(map[string]int, len(a))
	for _, e := range a {
		flats[e.code] = e.flat
	}
	for _, e := range b {
		if flat, ok := flats[e.code]; !ok || flat != e.flat {
			return false
		}
	}
	return true
}

// rawArray is the merge body of entries: their objects, as a JSON array.
func rawArray(entries []sokolEntry) []byte {
	parts := make([][]byte, len(entries))
	for i, e := range entries {
		parts[i] = e.raw
	}
	return slices.Concat([]byte("["), bytes.Join(parts, []byte(",")), []byte("]"))
}

// keyByKey sends the held writes one by one, as a rev.2 session does,
// after putting back (one merge, no clear) the entries an earlier upload's
// clear may have taken. A refused write does not stop the others; one the
// panel does not answer does, and the writes from it on stay held.
func (s *sokol) keyByKey(ctx context.Context, b *sokolBatch, store []sokolEntry) error {
	if lost := lostCarry(b, store); len(lost) > 0 {
		if err := s.forget(s.write(ctx, http.MethodPut, "/key/store/merge", rawArray(lost))); err != nil {
			return err
		}
	}
	b.carry = nil
	var errs error
	for len(b.ops) > 0 {
		op := b.ops[0]
		var err error
		if op.add != nil {
			err = s.addNow(ctx, op.add)
		} else {
			err = s.deleteNow(ctx, op.del)
		}
		if err != nil && reconcile.IsTransient(err) {
			return errors.Join(errs, err)
		}
		errs = errors.Join(errs, err)
		b.ops = b.ops[1:]
	}
	return errs
}

// lostCarry is the carried entries the store lacks that no held write
// deletes.
func lostCarry(b *sokolBatch, store []sokolEntry) []sokolEntry {
	var lost []sokolEntry
	for _, e := range b.carry {
		deleted := slices.ContainsFunc(b.ops, func(op sokolOp) bool { return op.add == nil && op.del == e.code })
		if !deleted && !slices.ContainsFunc(store, func(x sokolEntry) bool { return x.code == e.code }) {
			lost = append(lost, e)
		}
	}
	return lost
}

// rev5 reports whether the panel is an IS rev.5 on new firmware, probing
// GET /system/info once per panel address (Ping learns it too). Firmware
// without /system/info (404), or whose answer names no rev.5 or cannot be
// read, is taken as legacy: written key by key, which is always safe.
func (s *sokol) rev5(ctx context.Context) (bool, error) {
	switch s.c.traits.get(s.c.addr).rev5 {
	case yes:
		return true, nil
	case no:
		return false, nil
	}
	const path = "/system/info"
	a, err := s.c.get(ctx, path)
	if err != nil {
		return false, err
	}
	var info sokolInfo
	if a.status != http.StatusNotFound {
		if err := s.c.statusError("GET "+path, a.status); err != nil {
			return false, err
		}
		_ = json.Unmarshal(a.body, &info) // an answer it cannot read names no rev.5
	}
	s.learnRev(info)
	return s.c.traits.get(s.c.addr).rev5 == yes, nil
}

// learnRev keeps the revision /system/info names: the new firmware's
// deviceModel naming rev.5 ("ISCom X1 rev.5"); anything else (legacy
// firmware names only its model) is written as a rev.2.
func (s *sokol) learnRev(info sokolInfo) {
	rev := no
	if strings.Contains(strings.ToLower(info.DeviceModel), "rev.5") {
		rev = yes
	}
	s.c.traits.update(s.c.addr, func(tr *traits) { tr.rev5 = rev })
}
