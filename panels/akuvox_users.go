package panels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"yardsync/reconcile"
)

// akuvoxUser is one listed user: what yardsync reads of it, and the fields
// a re-add carries over (raw), so a foreign user keeps its name, PIN and
// schedule when one of its codes is deleted.
type akuvoxUser struct {
	ID       flexString    `json:"ID"`
	UserID   lenientString `json:"UserID"`
	CardCode lenientString `json:"CardCode"`
	raw      json.RawMessage
}

// codes are the user's card codes as listed: CardCode split at ";".
func (u akuvoxUser) codes() []string {
	var out []string
	for _, c := range strings.Split(string(u.CardCode), ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// akuvoxKeep are the fields of a user a re-add carries over; the others
// (ID, BLE state, Source) are the panel's own.
var akuvoxKeep = []string{"UserID", "Name", "PrivatePIN", "DoorNum", "LiftFloorNum", "Schedule", "ScheduleRelay",
	"Schedule-Relay", "WebRelay", "PhoneNum", "Group", "AnalogSystem", "AnalogNumber", "AnalogReplace", "AnalogMode"}

// users lists GET /api/user/get (query: "" or "?NameOrCode=..."), data.item[].
func (a *akuvox) users(ctx context.Context, query string) ([]akuvoxUser, error) {
	path := "/api/user/get" + query
	var data struct {
		Num  *flexInt          `json:"num"`
		Item []json.RawMessage `json:"item"`
	}
	if err := a.getJSON(ctx, path, &data); err != nil {
		return nil, err
	}
	if data.Item == nil && (data.Num == nil || *data.Num != 0) { // no users may come as "num": 0 alone
		return nil, a.c.fail(reconcile.ErrPermanent, "GET "+path, "answer has no user list")
	}
	out := make([]akuvoxUser, 0, len(data.Item))
	for _, raw := range data.Item {
		var u akuvoxUser
		if json.Unmarshal(raw, &u) != nil {
			u = akuvoxUser{} // not an object: a user with no card, skipped below
		}
		u.raw = raw
		out = append(out, u)
	}
	return out, nil
}

// keyUsers lists the users that hold yardsync's kind of key: every user
// on an E12/R20A, the RFIDx users on an S532 (looked up by name, as
// SmartYard-Server does: a full S532 list may be 10,000 users).
func (a *akuvox) keyUsers(ctx context.Context, m akuvoxModel, lookup string) ([]akuvoxUser, error) {
	if m != akuvoxS532 {
		return a.users(ctx, "")
	}
	list, err := a.users(ctx, "?NameOrCode="+url.QueryEscape(lookup))
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, u := range list { // the lookup is fuzzy: it matches names and codes alike
		if strings.HasPrefix(string(u.UserID), akuvoxRFIDPrefix) {
			out = append(out, u)
		}
	}
	return out, nil
}

// listKeys lists every code of every key user. A code that is no hex is
// another system's: skipped and counted. A code the normaliser cannot read
// as the panel keeps it (Akuvox strips leading zeros: 0000000000BB01 is
// BB01) is listed padded to 14 digits; the others verbatim.
func (a *akuvox) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	m, err := a.model(ctx)
	if err != nil {
		return nil, err
	}
	users, err := a.keyUsers(ctx, m, akuvoxRFIDName)
	if errors.Is(err, reconcile.ErrPermanent) {
		// a panel replaced by another model is probed afresh next time
		a.c.traits.update(a.c.addr, func(t *traits) { t.akuvox = "" })
	}
	if err != nil {
		return nil, err
	}
	var keys []reconcile.PanelKey
	skipped := 0
	for _, u := range users {
		for _, code := range u.codes() {
			if !hexCode(code) {
				skipped++
				continue
			}
			keys = append(keys, reconcile.PanelKey{Code: akuvoxListed(code), Flat: reconcile.FlatUnlisted})
		}
	}
	a.c.skipped.Store(int64(skipped))
	a.view.listed(keys)
	return keys, nil
}

// akuvoxListed is a listed code as ListKeys returns it.
func akuvoxListed(code string) string {
	if _, err := reconcile.NormalizeKey(code); err != nil && len(code) < reconcile.KeyLen {
		return strings.Repeat("0", reconcile.KeyLen-len(code)) + code
	}
	return code
}

// akuvoxCode is a normalised code in the form an Akuvox keeps: leading
// zeros stripped, then padded with one zero to an even length.
func akuvoxCode(code string) string {
	c := strings.TrimLeft(code, "0")
	if len(c)%2 == 1 {
		c = "0" + c
	}
	return c
}

// addKeys adds each code the listing lacks as a user of its own, in batches
// of 1,000 with a pause between them. One code a user makes a delete one
// request, and never touches another code (SmartYard-Server packs 4 codes a
// user; see docs/panels.md). The panel binds no flat: a held code is left.
// The held codes are those of this client's last listing, as its writes
// changed it (the reconciler has just listed the panel), or of a fresh one.
func (a *akuvox) addKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	m, err := a.model(ctx)
	if err != nil {
		return err
	}
	codes, err := a.view.unheld(ctx, a.c, a.listKeys, keys)
	if err != nil {
		return err
	}
	for i := 0; i < len(codes); i += akuvoxBatch {
		if i > 0 && !sleepCtx(ctx, a.pause) {
			return a.c.transportError("POST /api user add", fmt.Errorf("%w (%w)", ctx.Err(), errNotSent))
		}
		batch := codes[i:min(i+akuvoxBatch, len(codes))]
		items := make([]map[string]string, len(batch))
		for j, code := range batch {
			items[j] = akuvoxNewUser(m, code)
		}
		err := a.post(ctx, "user", "add", map[string]any{"item": items})
		a.view.learn(batch, true, err)
		if err != nil {
			return a.full(ctx, m, len(batch), err)
		}
	}
	return nil
}

// akuvoxNewUser is the user one key is added as.
func akuvoxNewUser(m akuvoxModel, code string) map[string]string {
	if m == akuvoxS532 { // an S532 user as SmartYard-Server's User entity sends it
		return map[string]string{"UserID": akuvoxRFIDPrefix + code, "Name": akuvoxRFIDName, "CardCode": akuvoxCode(code),
			"Schedule-Relay": akuvoxScheduleRelay, "Group": "Default"}
	}
	return map[string]string{"CardCode": akuvoxCode(code), "ScheduleRelay": akuvoxScheduleRelay}
}

// full names a refused add a full table when the users the panel holds and
// those refused would pass the model's limit: then the operator's hint is
// the table-full one, whatever words the firmware chose.
func (a *akuvox) full(ctx context.Context, m akuvoxModel, adding int, err error) error {
	if !refused(err) {
		return err
	}
	users, lerr := a.users(ctx, "")
	if lerr != nil || len(users)+adding <= akuvoxUsers[m] {
		return err
	}
	return panelRefused{a.c.fail(reconcile.ErrPermanent, "POST /api user add",
		"user table is full: %d users, %d more refused, the %s holds %d (%v)", len(users), adding, m, akuvoxUsers[m], err)}
}

// deleteKey deletes the user holding code and adds back the user's other
// codes (with its name, PIN and schedule), so a foreign code that shares a
// user with this one survives. A code no user holds is absent: a success.
func (a *akuvox) deleteKey(ctx context.Context, code string) error {
	m, err := a.model(ctx)
	if err != nil {
		return err
	}
	n, err := reconcile.NormalizeKey(akuvoxListed(code))
	if err != nil {
		return a.c.fail(reconcile.ErrPermanent, "", "delete key: code %q: %v", code, err)
	}
	users, err := a.keyUsers(ctx, m, akuvoxCode(n))
	if err != nil {
		return err
	}
	for _, u := range users {
		rest, holds := akuvoxWithout(u.codes(), n)
		if !holds {
			continue
		}
		if err := a.deleteUser(ctx, u, n, rest); err != nil {
			a.view.learn(nil, false, err)
			return err
		}
	}
	a.view.learn([]string{n}, false, nil)
	return nil
}

// akuvoxWithout returns codes without those that normalise to n, and
// whether there were any.
func akuvoxWithout(codes []string, n string) ([]string, bool) {
	var rest []string
	found := false
	for _, c := range codes {
		if cn, err := reconcile.NormalizeKey(akuvoxListed(c)); err == nil && cn == n {
			found = true
			continue
		}
		rest = append(rest, c)
	}
	return rest, found
}

// deleteUser sends del {ID}, then the user again with rest as its codes
// when it had others. A refused del is a success when a fresh listing no
// longer holds n (normalised): the user was gone already.
func (a *akuvox) deleteUser(ctx context.Context, u akuvoxUser, n string, rest []string) error {
	err := a.post(ctx, "user", "del", map[string]any{"item": []map[string]string{{"ID": string(u.ID)}}})
	if refused(err) && a.c.absent(ctx, n, a.listKeys) {
		return nil
	}
	if len(rest) == 0 {
		return err
	}
	if err != nil { // the del may have landed all the same (a lost answer)
		return othersAt(err, u, rest, "if the user is gone")
	}
	again := akuvoxReAdd(u, rest)
	if err := a.post(ctx, "user", "add", map[string]any{"item": []map[string]any{again}}); err != nil {
		return othersAt(err, u, rest, "the user was deleted")
	}
	return nil
}

// othersAt names, in a delete's error, the other codes a shared user held:
// another system's cards, which yardsync does not own and so never adds back
// by itself once the user is gone.
func othersAt(err error, u akuvoxUser, rest []string, when string) error {
	return fmt.Errorf("%w (user %s also held %s: %s, add them back on the panel by hand)", err, u.ID, strings.Join(rest, ";"), when)
}

// akuvoxReAdd is user u again, holding rest (hex codes in Akuvox form): the
// fields akuvoxKeep names, as listed.
func akuvoxReAdd(u akuvoxUser, rest []string) map[string]any {
	var listed map[string]any
	_ = json.Unmarshal(u.raw, &listed)
	again := map[string]any{}
	for _, f := range akuvoxKeep {
		if v, ok := listed[f]; ok {
			again[f] = v
		}
	}
	_, e12 := again["ScheduleRelay"]
	if _, s532 := again["Schedule-Relay"]; !e12 && !s532 {
		again["ScheduleRelay"] = akuvoxScheduleRelay
	}
	codes := make([]string, len(rest))
	for i, c := range rest { // in the form the panel takes now, whatever wrote them
		if n, err := reconcile.NormalizeKey(akuvoxListed(c)); err == nil {
			c = akuvoxCode(n)
		}
		codes[i] = c
	}
	again["CardCode"] = strings.Join(codes, ";")
	return again
}

// sleepCtx waits d unless ctx ends first; false when it did.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
