package reconcile

import (
	"errors"
	"fmt"
	"strings"
)

// verified is what a panel's read-back shows of a session's writes.
type verified struct {
	added, rebound int
	gone           []string // deleted codes seen gone: their records may go
	unkept         []string // writes not seen, e.g. "add 0000000000AC01 flat 7"
}

// verify compares the planned writes with the keys read back after them.
// An add or rebind is kept when its code is listed on its flat; a delete
// when its code is not listed at all.
func verify(pp PanelPlan, have []PanelKey) verified {
	flats := map[string][]int{}
	for _, k := range have {
		flats[k.Code] = append(flats[k.Code], k.Flat)
	}
	var v verified
	kept := func(k PanelKey) bool {
		for _, f := range flats[k.Code] {
			if f == k.Flat {
				return true
			}
		}
		return false
	}
	for _, k := range pp.Rebind {
		if kept(k) {
			v.rebound++
		} else {
			v.unkept = append(v.unkept, fmt.Sprintf("rebind %s flat %d", k.Code, k.Flat))
		}
	}
	for _, k := range pp.Add {
		if kept(k) {
			v.added++
		} else {
			v.unkept = append(v.unkept, fmt.Sprintf("add %s flat %d", k.Code, k.Flat))
		}
	}
	for _, code := range pp.Delete {
		if _, listed := flats[code]; listed {
			v.unkept = append(v.unkept, "delete "+code)
		} else {
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
