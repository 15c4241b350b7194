package panelsim

import (
	"net/http"
	"slices"
	"strconv"
)

// akuvoxHandsetOff is the AnalogNumber of an S532 FLAT user whose handset
// is off.
const akuvoxHandsetOff = "9999"

// akuvoxFlatIndex is the index of flat's user FLATx<n> in p.users, or -1;
// p.mu is held.
func (p *Panel) akuvoxFlatIndex(flat int) int {
	id := "FLATx" + strconv.Itoa(flat)
	return slices.IndexFunc(p.users, func(u AkuvoxUser) bool { return u.UserID == id })
}

// akuvoxFlatCalls is an S532 flat's call state: its FLAT user's
// AnalogNumber (no SIP switch); false when the flat has no user. p.mu is
// held.
func (p *Panel) akuvoxFlatCalls(flat int) (FlatCalls, bool) {
	i := p.akuvoxFlatIndex(flat)
	if i < 0 {
		return FlatCalls{}, false
	}
	a := p.users[i].AnalogNumber
	return FlatCalls{Handset: a != akuvoxHandsetOff, Raw: a}, true
}

// setAkuvoxFlatCalls makes flat's FLAT user hold c, creating the user as
// SmartYard-Server's configureApartment does (Name FLAT, Group the flat
// number) when there is none: AnalogNumber is c.Raw when set, else ""
// (handset on) or 9999. c.SIP is ignored: the S532 has no SIP switch. p.mu
// is held.
func (p *Panel) setAkuvoxFlatCalls(flat int, c FlatCalls) {
	analog := c.Raw
	if analog == "" && !c.Handset {
		analog = akuvoxHandsetOff
	}
	if i := p.akuvoxFlatIndex(flat); i >= 0 {
		p.users[i].AnalogNumber = analog
		return
	}
	n := strconv.Itoa(flat)
	p.akuvoxInsert(AkuvoxUser{UserID: "FLATx" + n, Name: "FLAT", Group: n, AnalogNumber: analog,
		PhoneNum: "1000000" + n, ScheduleDash: "1001-1;"})
}

// akuvoxSet answers POST /api user set: each item replaces, whole, the
// user its ID names (a field the item leaves out is lost, as a strict
// firmware would); an ID no user has refuses the request. It is a call
// write: RefuseWrites answers 401, DropCalls acknowledges and keeps
// nothing.
func (p *Panel) akuvoxSet(w http.ResponseWriter, items []AkuvoxUser) {
	if p.Faults().RefuseWrites {
		p.unauthorized(w, false) // takes p.mu for a fresh nonce
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	at := make([]int, len(items))
	for k, it := range items {
		at[k] = slices.IndexFunc(p.users, func(u AkuvoxUser) bool { return u.ID == it.ID })
		if at[k] < 0 || it.UserID == "" {
			akuvoxAnswer(w, -100, "set", "user "+it.ID+" not exist", nil)
			return
		}
		for _, c := range splitCodes(it.CardCode) {
			if !akuvoxCodeOK(c) {
				akuvoxAnswer(w, -100, "set", "invalid CardCode "+c, nil)
				return
			}
		}
	}
	if !p.faults.DropCalls {
		for k, it := range items {
			p.users[at[k]] = it
		}
	}
	akuvoxAnswer(w, 0, "set", "OK", nil)
}
