package api

import "net/http"

// The users/clients calls are how the AXbills billing tells the reference
// server about its subscribers' accounts. yardsync keeps no accounts of its
// own: the contracts are the billing's, so these calls answer as the
// reference server does, and create and delete schedule a targeted run so
// that the contract's keys follow at once.

// clientsList answers users/clients/ with an empty 200.
func (h *handler) clientsList(r *http.Request, b body) (int, any, error) {
	return http.StatusOK, nil, nil
}

// clientsCreate answers {"id": uid} and schedules a run for the uid.
func (h *handler) clientsCreate(r *http.Request, b body) (int, any, error) {
	uid, err := requireUID(b)
	if err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, map[string]int64{"id": uid}, nil
}

// clientsEdit answers users/clients/edit/ and change_password/: nothing the
// panels hold depends on the account's details or password.
func (h *handler) clientsEdit(r *http.Request, b body) (int, any, error) {
	return http.StatusOK, nil, nil
}

// clientsDelete schedules a run for the uid: a deleted subscriber's keys go
// when the billing no longer lists the contract as paid.
func (h *handler) clientsDelete(r *http.Request, b body) (int, any, error) {
	uid, err := requireUID(b)
	if err != nil {
		return 0, nil, err
	}
	h.revoke(uid)
	return http.StatusOK, nil, nil
}
