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
	known map[string][]entry
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
	known := map[string][]entry{}
	var keys []reconcile.PanelKey
	if t == tableInternal {
		keys, _, err = b.listTable(ctx, rfidTable, known)
	} else {
		keys, err = b.listMifare(ctx, known)
	}
	if errors.Is(err, reconcile.ErrPermanent) {
		b.c.traits.forget(b.c.addr)
	}
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known = known
	return keys, nil
}

// listMifare lists mifare_cgi and, unless the panel is known to lack it,
// rfid_cgi: a 404 or "is not defined" there is remembered as "no such table".
func (b *beward) listMifare(ctx context.Context, known map[string][]entry) ([]reconcile.PanelKey, error) {
	keys, _, err := b.listTable(ctx, mifareTable, known)
	if err != nil || b.c.traits.get(b.c.addr).rfidToo == no {
		return keys, err
	}
	more, present, err := b.listTable(ctx, rfidTable, known)
	if err != nil {
		return nil, err
	}
	b.c.traits.update(b.c.addr, func(tr *traits) { tr.rfidToo = map[bool]tristate{true: yes, false: no}[present] })
	return slices.Concat(keys, more), nil
}

// listTable reads one table. present is false when the panel says it has no
// such CGI (404 or "is not defined").
func (b *beward) listTable(ctx context.Context, table string, known map[string][]entry) (keys []reconcile.PanelKey, present bool, err error) {
	req := "/cgi-bin/" + table + "_cgi?action=list"
	a, err := b.c.get(ctx, req)
	if err != nil {
		return nil, false, err
	}
	if a.status == 404 || notDefined(a.body) {
		if table == rfidTable && b.c.traits.get(b.c.addr).table == tableMifare {
			return nil, false, nil
		}
		return nil, false, b.c.fail(reconcile.ErrPermanent, "GET "+req, "status %d: no such key table", a.status)
	}
	fields, err := b.parse("GET "+req, a)
	if err != nil {
		return nil, false, err
	}
	codeName := map[string]string{rfidTable: "KeyValue", mifareTable: "Key"}[table]
	keys, flatLines, err := keyList(fields, codeName)
	if err != nil {
		return nil, false, b.c.fail(reconcile.ErrPermanent, "GET "+req, "unparsable answer: %v", err)
	}
	b.noteFlats(len(keys), flatLines)
	for _, k := range keys {
		known[k.Code] = append(known[k.Code], entry{table: table, flat: k.Flat})
	}
	return keys, true, nil
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
	for _, e := range b.known[code] {
		out = append(out, e.table)
	}
	return out
}

// current returns the key tables: as this session knows them, or read afresh.
func (b *beward) current(ctx context.Context) (map[string][]entry, error) {
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
		b.known = nil
	}
	if b.known == nil {
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
