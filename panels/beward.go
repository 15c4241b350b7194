package panels

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"

	"yardsync/reconcile"
)

// bewardTable is a Beward key-table variant, probed once per client.
type bewardTable int

const (
	tableUnknown  bewardTable = iota
	tableInternal             // rfid_cgi
	tableMifare               // mifare_cgi, mirrored on extrfid_cgi
)

// beward speaks Beward DKS: GET requests, Name=Value answers, "OK" on writes.
type beward struct {
	c     *Client
	mu    sync.Mutex
	table bewardTable
	dirty bool // a write went out since the last forcesave
	// known is the key table as this session last read and changed it, so
	// an add after a list does not read the panel again; nil when unknown
	// (never read, or a write failed and its effect is uncertain).
	known map[string]int
}

func (b *beward) ping(ctx context.Context) (Info, error) {
	const req = "/cgi-bin/systeminfo_cgi?action=get"
	fields, err := b.getList(ctx, req)
	if err != nil {
		return Info{}, err
	}
	var info Info
	for _, f := range fields {
		switch f.name {
		case "DeviceID":
			info.DeviceID = f.value
		case "DeviceModel":
			info.Model = f.value
		}
	}
	if info.DeviceID == "" {
		return Info{}, b.c.fail(reconcile.ErrPermanent, "GET "+req, "answer has no DeviceID")
	}
	return info, nil
}

// keyTable probes, once per client, which key table the panel has:
// extrfid_cgi answering "... is not defined" means the internal rfid_cgi table,
// any other answer that is not garbled (whatever its status, as panels.md
// says: a bare extrfid_cgi may well be refused) the mifare + external tables.
func (b *beward) keyTable(ctx context.Context) (bewardTable, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.table != tableUnknown {
		return b.table, nil
	}
	if b.table = b.c.tables.get(b.c.addr); b.table != tableUnknown {
		return b.table, nil
	}
	const req = "/cgi-bin/extrfid_cgi"
	a, err := b.c.get(ctx, req)
	if err != nil {
		return tableUnknown, err
	}
	switch {
	case a.status == 401 || a.status == 403 || a.status >= 500:
		return tableUnknown, b.c.statusError("GET "+req, a.status)
	case strings.Contains(strings.ToLower(string(a.body)), "is not defined"):
		b.table = tableInternal
	case garbled(a.body):
		// not cached: a confused answer must not pin the wrong table for the session
		return tableUnknown, b.c.fail(reconcile.ErrPermanent, "GET "+req, "unparsable answer %s", snippet(a.body))
	default:
		b.table = tableMifare
	}
	b.c.tables.set(b.c.addr, b.table)
	return b.table, nil
}

// forgetTable drops the variant after the panel refused or garbled a list:
// a panel replaced by another model is probed again next time.
func (b *beward) forgetTable() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.table = tableUnknown
	b.c.tables.set(b.c.addr, tableUnknown)
}

func (b *beward) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	t, err := b.keyTable(ctx)
	if err != nil {
		return nil, err
	}
	cgi, codeName := "rfid_cgi", "KeyValue"
	if t == tableMifare {
		cgi, codeName = "mifare_cgi", "Key"
	}
	req := "/cgi-bin/" + cgi + "?action=list"
	fields, err := b.getList(ctx, req)
	if err == nil {
		var codes map[int]string
		var flats map[int]int
		if codes, flats, err = keyTable(fields, codeName); err == nil {
			return b.keep(codes, flats), nil
		}
		err = b.c.fail(reconcile.ErrPermanent, "GET "+req, "unparsable answer: %v", err)
	}
	if errors.Is(err, reconcile.ErrPermanent) {
		b.forgetTable()
	}
	return nil, err
}

// keep returns the listed keys in table order and records them as the
// session's view of the panel.
func (b *beward) keep(codes map[int]string, flats map[int]int) []reconcile.PanelKey {
	idx := make([]int, 0, len(codes))
	for i := range codes {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	keys := make([]reconcile.PanelKey, 0, len(idx))
	known := make(map[string]int, len(idx))
	for _, i := range idx {
		flat, listed := flats[i]
		if !listed {
			flat = reconcile.FlatUnlisted // firmware that keeps no Apartment<i> beside the key
		}
		keys = append(keys, reconcile.PanelKey{Code: codes[i], Flat: flat})
		known[codes[i]] = flat
	}
	b.setKnown(known)
	return keys
}

func (b *beward) setKnown(m map[string]int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known = m
}

// current returns the key table: as this session knows it, or read afresh.
func (b *beward) current(ctx context.Context) (map[string]int, error) {
	b.mu.Lock()
	known := maps.Clone(b.known)
	b.mu.Unlock()
	if known != nil {
		return known, nil
	}
	if _, err := b.listKeys(ctx); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.known), nil
}

// learn records the outcome of a write in the session's key table: what
// succeeded is known (flat 0 records a deletion), a failure leaves the
// table unknown.
func (b *beward) learn(code string, flat int, err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case err != nil:
		b.known = nil
	case b.known == nil:
	case flat == 0:
		delete(b.known, code)
	default:
		b.known[code] = flat
	}
	return err
}

// addKeys checks the table first (as the session last listed it, or read
// now): keys already on their flat are skipped, keys on another flat are
// deleted then added (no driver shows add overwriting).
func (b *beward) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	current, err := b.current(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		flat, ok := current[k.Code]
		if ok && flat == k.Flat {
			continue
		}
		if ok {
			if err := b.deleteKey(ctx, k.Code); err != nil {
				return err
			}
		}
		if err := b.addKey(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

func (b *beward) addKey(ctx context.Context, k reconcile.PanelKey) error {
	return b.learn(k.Code, k.Flat, b.addKeyOnce(ctx, k))
}

func (b *beward) addKeyOnce(ctx context.Context, k reconcile.PanelKey) error {
	t, err := b.keyTable(ctx)
	if err != nil {
		return err
	}
	params := "action=add&Key=" + url.QueryEscape(k.Code) + "&Apartment=" + itoa(k.Flat)
	if t == tableInternal {
		return b.write(ctx, "/cgi-bin/rfid_cgi?"+params)
	}
	params = "action=add&Key=" + url.QueryEscape(k.Code) + "&Type=1&Apartment=" + itoa(k.Flat)
	if err := b.addExt(ctx, k.Code, params); err != nil {
		return err
	}
	return b.write(ctx, "/cgi-bin/mifare_cgi?"+params)
}

// addExt adds to the external table. A refusal may mean a half-done earlier
// add left the key there (it is never listed), so it deletes it and tries once more.
func (b *beward) addExt(ctx context.Context, code, params string) error {
	req := "/cgi-bin/extrfid_cgi?" + params
	err := b.write(ctx, req)
	if !refused(err) {
		return err
	}
	if err := b.deleteExt(ctx, code); err != nil {
		return err
	}
	return b.write(ctx, req)
}

// deleteExt deletes from the external table. The table is never listed, so a
// refusal is taken as "not there"; the delete on the listed table that
// follows is judged strictly, and a key left listed is retried next run.
func (b *beward) deleteExt(ctx context.Context, code string) error {
	err := b.write(ctx, "/cgi-bin/extrfid_cgi?action=delete&Key="+url.QueryEscape(code))
	if refused(err) {
		return nil
	}
	return err
}

func (b *beward) deleteKey(ctx context.Context, code string) error {
	return b.learn(code, 0, b.deleteKeyOnce(ctx, code))
}

func (b *beward) deleteKeyOnce(ctx context.Context, code string) error {
	t, err := b.keyTable(ctx)
	if err != nil {
		return err
	}
	params := "action=delete&Key=" + url.QueryEscape(code)
	if t == tableInternal {
		return b.write(ctx, "/cgi-bin/rfid_cgi?"+params)
	}
	if err := b.deleteExt(ctx, code); err != nil {
		return err
	}
	return b.write(ctx, "/cgi-bin/mifare_cgi?"+params)
}

// finish saves to flash when the session wrote anything.
func (b *beward) finish(ctx context.Context) error {
	b.mu.Lock()
	dirty := b.dirty
	b.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := b.send(ctx, "/cgi-bin/config_cgi?action=forcesave"); err != nil {
		return err
	}
	b.mu.Lock()
	b.dirty = false
	b.mu.Unlock()
	return nil
}

// write marks the session dirty before the request goes out, then sends it.
func (b *beward) write(ctx context.Context, req string) error {
	b.mu.Lock()
	b.dirty = true
	b.mu.Unlock()
	return b.send(ctx, req)
}

// send makes a write request: success is status 200 with the body "OK".
func (b *beward) send(ctx context.Context, req string) error {
	a, err := b.c.get(ctx, req)
	if err != nil {
		return err
	}
	if err := b.judge("GET "+req, a); err != nil {
		return err
	}
	if !strings.EqualFold(strings.TrimSpace(string(a.body)), "OK") {
		return b.c.fail(reconcile.ErrPermanent, "GET "+req, "unparsable answer %s", snippet(a.body))
	}
	return nil
}

// getList makes a read request and parses its Name=Value lines.
func (b *beward) getList(ctx context.Context, req string) ([]field, error) {
	a, err := b.c.get(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := b.judge("GET "+req, a); err != nil {
		return nil, err
	}
	fields, err := parseLines(a.body)
	if err != nil {
		return nil, b.c.fail(reconcile.ErrPermanent, "GET "+req, "unparsable answer: %v", err)
	}
	return fields, nil
}

// judge rejects a non-200 status and a body saying the request failed.
func (b *beward) judge(req string, a answer) error {
	if a.status != 200 {
		if err := b.c.statusError(req, a.status); err != nil {
			return err
		}
		return b.c.fail(reconcile.ErrPermanent, req, "status %d", a.status)
	}
	if strings.Contains(strings.ToLower(string(a.body)), "request failed") {
		return panelRefused{b.c.fail(reconcile.ErrPermanent, req, "panel says %s", snippet(a.body))}
	}
	return nil
}

// panelRefused marks a Beward answer saying "Request failed".
type panelRefused struct{ error }

func (e panelRefused) Unwrap() error { return e.error }

func refused(err error) bool {
	var r panelRefused
	return errors.As(err, &r)
}
