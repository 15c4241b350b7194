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
	missing        []string        // kept keys (PanelPlan.Keep) the panel lost, e.g. "0000000000AC01 flat 7"
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
	for _, k := range pp.Keep { // every key the session leaves must still be there (a clear, a reboot)
		if !kept(k) {
			v.missing = append(v.missing, fmt.Sprintf("%s flat %d", k.Code, k.Flat))
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
	var errs []error
	if len(v.unkept) > 0 {
		errs = append(errs, Errorf(ErrPermanent, "%d of the session's writes not seen on the panel after it: %s",
			len(v.unkept), few(v.unkept)))
	}
	if len(v.missing) > 0 {
		errs = append(errs, Errorf(ErrPermanent, "%d keys the panel held are missing after the session (did it reboot or lose its table?); a run of the panel puts them back now: %s",
			len(v.missing), few(v.missing)))
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(append(errs, requests)...)
}

// few joins the first items of a list for a message.
func few(list []string) string {
	const most = 5
	if len(list) > most {
		list = append(list[:most:most], fmt.Sprintf("and %d more", len(list)-most))
	}
	return strings.Join(list, ", ")
}

// isGone reports whether a deleted code was seen gone.
func (v *verified) isGone(code string) bool { return slices.Contains(v.gone, code) }
