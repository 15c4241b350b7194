package panels

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"yardsync/reconcile"
)

// addKeys checks the tables first (as the session last listed them, or read
// now): keys already on their flat are skipped, keys held on another flat
// are deleted from every table holding them, then added (no driver shows
// add overwriting), or, with Options.BewardUpdate, updated in place.
func (b *beward) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	current, err := b.current(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		held := current[k.Code]
		if slices.ContainsFunc(held, func(e entry) bool { return e.flat == k.Flat }) {
			continue
		}
		if err := b.rebind(ctx, k, held); err != nil {
			return err
		}
	}
	return nil
}

// rebind puts k on its flat, given the tables that hold its code now.
func (b *beward) rebind(ctx context.Context, k reconcile.PanelKey, held []entry) error {
	if b.canUpdate(held) {
		err := b.updateKey(ctx, k)
		if !refused(err) {
			return err
		}
		// firmware without action=update: fall back to delete + add
	}
	for _, e := range held {
		if err := b.deleteFrom(ctx, e.table, k.Code); err != nil {
			return err
		}
	}
	return b.addKey(ctx, k)
}

// canUpdate reports whether a rebind may use rfid_cgi action=update: opted
// in, the key held once in the internal table, and a panel that lists flats,
// so the read-back can show the flat the update set.
func (b *beward) canUpdate(held []entry) bool {
	tr := b.c.traits.get(b.c.addr)
	return b.c.update && len(held) == 1 && held[0].table == rfidTable &&
		tr.table == tableInternal && tr.flats != no
}

func (b *beward) updateKey(ctx context.Context, k reconcile.PanelKey) error {
	err := b.write(ctx, "/cgi-bin/rfid_cgi?action=update&Key="+url.QueryEscape(k.Code)+"&Apartment="+itoa(k.Flat))
	if refused(err) {
		return err // the session's view is unchanged: nothing was done
	}
	return b.learn(k.Code, rfidTable, &entry{table: rfidTable, flat: k.Flat}, err)
}

// addKey adds a key to the table yardsync adds to.
func (b *beward) addKey(ctx context.Context, k reconcile.PanelKey) error {
	t, err := b.keyTable(ctx)
	if err != nil {
		return err
	}
	key := "&Key=" + url.QueryEscape(k.Code)
	if t == tableInternal {
		err := b.write(ctx, "/cgi-bin/rfid_cgi?action=add"+key+"&Apartment="+itoa(k.Flat))
		return b.learn(k.Code, rfidTable, &entry{table: rfidTable, flat: k.Flat}, err)
	}
	if err := b.addExt(ctx, k); err != nil {
		return b.learn(k.Code, mifareTable, nil, err)
	}
	err = b.write(ctx, "/cgi-bin/mifare_cgi?action=add"+key+"&Type=1&Apartment="+itoa(k.Flat))
	return b.learn(k.Code, mifareTable, &entry{table: mifareTable, flat: k.Flat}, err)
}

// addExt adds to the external reader table, which is never listed. A
// refusal may mean a half-done earlier add left the key there (delete it and
// try once more) or firmware that takes no Apartment there (try without, and
// remember). A refusal after that must not keep the key out of the listed
// table, so it is no error; a transport or status failure is.
func (b *beward) addExt(ctx context.Context, k reconcile.PanelKey) error {
	base := "/cgi-bin/extrfid_cgi?action=add&Key=" + url.QueryEscape(k.Code) + "&Type=1"
	withFlat := base + "&Apartment=" + itoa(k.Flat)
	apt := b.c.traits.get(b.c.addr).extApt
	first := withFlat
	if apt == no {
		first = base
	}
	err := b.write(ctx, first)
	if !refused(err) {
		return err
	}
	if err := b.deleteExt(ctx, k.Code); err != nil {
		return err
	}
	if err = b.write(ctx, first); !refused(err) || apt == no {
		return tolerate(err)
	}
	if err = b.write(ctx, base); err == nil {
		b.c.traits.update(b.c.addr, func(tr *traits) { tr.extApt = no })
	}
	return tolerate(err)
}

// tolerate drops a refusal: the external table's answer never keeps a key
// out of the listed table.
func tolerate(err error) error {
	if refused(err) {
		return nil
	}
	return err
}

// deleteExt deletes from the external table. The table is never listed, so a
// refusal is taken as "not there"; the delete on the listed table that
// follows is judged strictly, and a key left listed is retried next run.
func (b *beward) deleteExt(ctx context.Context, code string) error {
	return tolerate(b.write(ctx, "/cgi-bin/extrfid_cgi?action=delete&Key="+url.QueryEscape(code)))
}

// deleteKey removes a code, as listed, from every table that holds it (the
// table yardsync adds to when the session's view holds it nowhere); a code
// the panel does not hold is no error (see deleteFrom).
func (b *beward) deleteKey(ctx context.Context, code string) error {
	current, err := b.current(ctx)
	if err != nil {
		return err
	}
	tables := []string{}
	for _, e := range current[code] {
		if !slices.Contains(tables, e.table) {
			tables = append(tables, e.table)
		}
	}
	if len(tables) == 0 {
		t, err := b.keyTable(ctx)
		if err != nil {
			return err
		}
		tables = append(tables, map[bool]string{true: mifareTable, false: rfidTable}[t == tableMifare])
	}
	for _, table := range tables {
		if err := b.deleteFrom(ctx, table, code); err != nil {
			return err
		}
	}
	return nil
}

// deleteFrom deletes a code from one listed table; on mifare_cgi from the
// external table first, so a half-done delete leaves the key listed. A
// refusal of a key the table does not hold is success: the key is gone, as
// the delete wanted.
func (b *beward) deleteFrom(ctx context.Context, table, code string) error {
	params := "action=delete&Key=" + url.QueryEscape(code)
	if table == mifareTable {
		if err := b.deleteExt(ctx, code); err != nil {
			return b.learn(code, table, nil, err)
		}
	}
	err := b.write(ctx, "/cgi-bin/"+table+"_cgi?"+params)
	if refused(err) && b.absent(ctx, table, code) {
		err = nil
	}
	return b.learn(code, table, nil, err)
}

// absent reports, after a refused delete, whether table lacks code: a
// Beward refuses ("Request failed") the delete of a key it does not hold
// as it refuses any other. The session's view answers when it holds the
// code nowhere in table (a blind delete); when it holds it there, the view
// may be stale (another system deleted it), so a fresh list decides.
func (b *beward) absent(ctx context.Context, table, code string) bool {
	inTable := func(e entry) bool { return e.table == table }
	b.mu.Lock()
	view := b.view()
	held := slices.ContainsFunc(view[code], inTable)
	b.mu.Unlock()
	if view != nil && !held {
		return true
	}
	if _, err := b.listKeys(ctx); err != nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return !slices.ContainsFunc(b.view()[code], inTable)
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

// send makes a write request. As in the production drivers, which check no
// body, any 200 answer that does not say "Request failed" is accepted: the
// session's read-back is what proves a write.
func (b *beward) send(ctx context.Context, req string) error {
	a, err := b.c.get(sendOnce(ctx), req)
	if err != nil {
		return err
	}
	return b.judge("GET "+req, a)
}

// getList makes a read request and parses its Name=Value lines.
func (b *beward) getList(ctx context.Context, req string) ([]field, error) {
	a, err := b.c.get(ctx, req)
	if err != nil {
		return nil, err
	}
	return b.parse("GET "+req, a)
}

// parse judges an answer, then reads its Name=Value lines.
func (b *beward) parse(req string, a answer) ([]field, error) {
	if err := b.judge(req, a); err != nil {
		return nil, err
	}
	fields, err := parseLines(a.body)
	if err != nil {
		return nil, b.c.fail(reconcile.ErrPermanent, req, "unparsable answer: %v", err)
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
