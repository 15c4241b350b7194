package reconcile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// verified is what a panel's read-back shows of a session's writes.
type verified struct {
	added, rebound int
	gone           []string        // deleted codes (normalised) seen gone: their records may go
	kept           map[string]bool // added or rebound codes seen on their flat
	unkept         []string        // writes not seen, e.g. "add 0000000000AC01 flat 7"
}

// verify compares the planned writes with the keys read back after them.
// Codes are compared normalised. An add or rebind is kept when its code is
// listed on its flat (or with no flat listed), a delete when its code is not listed in any form, the
// other form of a rebound code when that form is not listed.
func verify(pp PanelPlan, have []PanelKey) verified {
	flats := map[string][]int{}
	listed := map[string]bool{}
	for _, k := range have {
		code := panelCode(k.Code)
		flats[code] = append(flats[code], k.Flat)
		listed[k.Code] = true
	}
	var v verified
	// A listed code without a listed flat is on the flat yardsync pushed:
	// its claim, written before the push, records that flat.
	kept := func(k PanelKey) bool {
		for _, f := range flats[k.Code] {
			if f == k.Flat || f == FlatUnlisted {
				return true
			}
		}
		return false
	}
	v.kept = map[string]bool{}
	for _, k := range pp.Rebind {
		if kept(k) {
			v.rebound++
			v.kept[k.Code] = true
		} else {
			v.unkept = append(v.unkept, fmt.Sprintf("rebind %s flat %d", k.Code, k.Flat))
		}
	}
	for _, k := range pp.Add {
		if kept(k) {
			v.added++
			v.kept[k.Code] = true
		} else {
			v.unkept = append(v.unkept, fmt.Sprintf("add %s flat %d", k.Code, k.Flat))
		}
	}
	for _, k := range pp.Whole { // kept keys a clear took with it must be back
		pushed := func(p PanelKey) bool { return p.Code == k.Code }
		if !slices.ContainsFunc(pp.Add, pushed) && !slices.ContainsFunc(pp.Rebind, pushed) && !kept(k) {
			v.unkept = append(v.unkept, fmt.Sprintf("keep %s flat %d", k.Code, k.Flat))
		}
	}
	for _, form := range pp.Replace {
		if listed[form] {
			v.unkept = append(v.unkept, "delete "+form)
		}
	}
	for _, form := range pp.Delete {
		code := panelCode(form)
		if _, present := flats[code]; present {
			v.unkept = append(v.unkept, "delete "+form)
		} else if !slices.Contains(v.gone, code) {
			v.gone = append(v.gone, code)
		}
	}
	return v
}

// err is the panel's failure when a write is not seen on it, with the
// errors its requests returned (the cause, when the panel said so). A
// request that failed although the read-back shows its effect (a delete
// refused because the key was already gone) is no failure.
func (v verified) err(requests error) error {
	if len(v.unkept) == 0 {
		return nil
	}
	const most = 5
	list := v.unkept
	if len(list) > most {
		list = append(list[:most:most], fmt.Sprintf("and %d more", len(v.unkept)-most))
	}
	err := Errorf(ErrPermanent, "%d of the session's writes not seen on the panel after it: %s",
		len(v.unkept), strings.Join(list, ", "))
	return errors.Join(err, requests)
}

// isGone reports whether a deleted code was seen gone.
func (v *verified) isGone(code string) bool { return slices.Contains(v.gone, code) }
