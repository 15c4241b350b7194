package panels

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"yardsync/reconcile"
)

// bewardTable is the Beward key-table variant yardsync adds keys to.
type bewardTable int

const (
	tableUnknown  bewardTable = iota
	tableInternal             // rfid_cgi
	tableMifare               // mifare_cgi, mirrored on extrfid_cgi
)

// Names of the listed Beward key tables, as Client.Tables says them.
const (
	rfidTable   = "rfid"   // rfid_cgi, KeyValue<n>
	mifareTable = "mifare" // mifare_cgi, Key<n>; extrfid_cgi beside it
)

// entry is where a listed code lives: its table and flat.
type entry struct {
	table string
	flat  int
}

// beward speaks Beward DKS: GET requests, Name=Value answers.
type beward struct {
	c     *Client
	mu    sync.Mutex
	dirty bool // a write went out since the last forcesave
	// known is the key tables as this session last read and changed them,
	// so an add after a list does not read the panel again; nil when
	// unknown (never read, or a write failed and its effect is uncertain).
	// A list leaves it nil and its tables in listed: view builds it at the
	// first write, so a session that only lists builds none.
	known  map[string][]entry
	listed []tableKeys
}

// tableKeys is one key table as a list read it.
type tableKeys struct {
	table   string
	keys    []reconcile.PanelKey
	skipped int // entries the list could not read (keyList)
}

// view returns known, building it from the last list first; b.mu is held.
func (b *beward) view() map[string][]entry {
	if b.known == nil && b.listed != nil {
		b.known = map[string][]entry{}
		for _, t := range b.listed {
			for _, k := range t.keys {
				b.known[k.Code] = append(b.known[k.Code], entry{table: t.table, flat: k.Flat})
			}
		}
		b.listed = nil
	}
	return b.known
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

// keyTable probes, once per panel address, which table keys are added to:
// extrfid_cgi answering "... is not defined" means the internal rfid_cgi table,
// any other answer that is not garbled (whatever its status, as panels.md
// says: a bare extrfid_cgi may well be refused) the mifare + external tables.
func (b *beward) keyTable(ctx context.Context) (bewardTable, error) {
	if t := b.c.traits.get(b.c.addr).table; t != tableUnknown {
		return t, nil
	}
	const req = "/cgi-bin/extrfid_cgi"
	a, err := b.c.get(ctx, req)
	if err != nil {
		return tableUnknown, err
	}
	var t bewardTable
	switch {
	case a.status == 401 || a.status == 403 || a.status >= 500:
		return tableUnknown, b.c.statusError("GET "+req, a.status)
	case notDefined(a.body):
		t = tableInternal
	case garbled(a.body):
		// not remembered: a confused answer must not pin the wrong table
		return tableUnknown, b.c.fail(reconcile.ErrPermanent, "GET "+req, "unparsable answer %s", snippet(a.body))
	default:
		t = tableMifare
	}
	b.c.traits.update(b.c.addr, func(tr *traits) { tr.table = t })
	return t, nil
}

func notDefined(body []byte) bool {
	return strings.Contains(strings.ToLower(string(body)), "is not defined")
}

// listKeys reads every key table the panel has: rfid_cgi, or mifare_cgi
// and, where the panel serves it too, rfid_cgi (where another system may
// have written). The session remembers which table holds each key, so a
// delete goes to the table that holds it (see Client.Tables).
func (b *beward) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	t, err := b.keyTable(ctx)
	if err != nil {
		return nil, err
	}
	var listed []tableKeys
	if t == tableInternal {
		var rfid tableKeys
		rfid, _, err = b.listTable(ctx, rfidTable)
		listed = []tableKeys{rfid}
	} else {
		listed, err = b.listMifare(ctx)
	}
	if errors.Is(err, reconcile.ErrPermanent) {
		b.c.traits.forget(b.c.addr)
	}
	if err != nil {
		return nil, err
	}
	var keys []reconcile.PanelKey
	skipped := 0
	for _, t := range listed {
		keys = append(keys, t.keys...)
		skipped += t.skipped
	}
	b.c.skipped.Store(int64(skipped))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known, b.listed = nil, listed
	return keys, nil
}

// listMifare lists mifare_cgi and, unless the panel is known to lack it,
// rfid_cgi: a 404 or "is not defined" there is remembered as "no such table".
func (b *beward) listMifare(ctx context.Context) ([]tableKeys, error) {
	mifare, _, err := b.listTable(ctx, mifareTable)
	if err != nil {
		return nil, err
	}
	out := []tableKeys{mifare}
	if b.c.traits.get(b.c.addr).rfidToo == no {
		return out, nil
	}
	rfid, present, err := b.listTable(ctx, rfidTable)
	if err != nil {
		return nil, err
	}
	b.c.traits.update(b.c.addr, func(tr *traits) { tr.rfidToo = map[bool]tristate{true: yes, false: no}[present] })
	return append(out, rfid), nil
}

// listTable reads one table. present is false when the panel says it has no
// such CGI (404 or "is not defined").
func (b *beward) listTable(ctx context.Context, table string) (tk tableKeys, present bool, err error) {
	tk.table = table
	req := "/cgi-bin/" + table + "_cgi?action=list"
	a, err := b.c.get(ctx, req)
	if err != nil {
		return tk, false, err
	}
	if a.status == 404 || notDefined(a.body) {
		if table == rfidTable && b.c.traits.get(b.c.addr).table == tableMifare {
			return tk, false, nil
		}
		return tk, false, b.c.fail(reconcile.ErrPermanent, "GET "+req, "status %d: no such key table", a.status)
	}
	fields, err := b.parse("GET "+req, a)
	if err != nil {
		return tk, false, err
	}
	codeName := map[string]string{rfidTable: "KeyValue", mifareTable: "Key"}[table]
	var flatLines int
	tk.keys, flatLines, tk.skipped = keyList(fields, codeName)
	b.noteFlats(len(tk.keys)+tk.skipped, flatLines)
	return tk, true, nil
}

// noteFlats remembers whether the panel lists flats beside its keys, once a
// list with keys shows it. An empty list shows nothing.
func (b *beward) noteFlats(keys, flatLines int) {
	if keys == 0 {
		return
	}
	b.c.traits.update(b.c.addr, func(tr *traits) { tr.flats = map[bool]tristate{true: yes, false: no}[flatLines > 0] })
}

// tables names the tables the session's view holds code in.
func (b *beward) tables(code string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.view()[code] {
		out = append(out, e.table)
	}
	return out
}

// current returns the key tables: as this session knows them, or read afresh.
func (b *beward) current(ctx context.Context) (map[string][]entry, error) {
	b.mu.Lock()
	known := maps.Clone(b.view())
	b.mu.Unlock()
	if known != nil {
		return known, nil
	}
	if _, err := b.listKeys(ctx); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.view()), nil
}

// learn records the outcome of a write in the session's view: what
// succeeded is known; a refusal ("Request failed") changed nothing; any
// other failure leaves the view unknown. A nil entry records a deletion
// from table.
func (b *beward) learn(code, table string, e *entry, err error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if refused(err) {
		return err
	}
	if err != nil {
		b.known, b.listed = nil, nil
	}
	if b.view() == nil {
		return err
	}
	kept := slices.DeleteFunc(slices.Clone(b.known[code]), func(x entry) bool { return x.table == table })
	if e != nil {
		kept = append(kept, *e)
	}
	b.known[code] = kept
	if len(kept) == 0 {
		delete(b.known, code)
	}
	return nil
}
