package api

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"

	"yardsync/reconcile"
	"yardsync/store"
)

// keyStore is what the key calls need of the store.
type keyStore interface {
	Keys(ctx context.Context, uid int64) ([]store.Key, error)
	AddKey(ctx context.Context, uid int64, hexKey string, comment *string) error
	DeleteKey(ctx context.Context, uid int64, code string) error
	Types(ctx context.Context) ([]store.Type, error)
}

type keyOut struct {
	Key     string  `json:"key"`
	Comment *string `json:"comment"`
}

// keyRequest is the body of keys_add and keys_del.
type keyRequest struct {
	UID     ID            `json:"uid"`
	Key     Field[string] `json:"key"`
	Comment Field[string] `json:"comment"`
}

// keysList answers the lower-case hex of the bytes stored, as the reference
// server does: keys_del takes that value back.
func (h *handler) keysList(r *http.Request, b body) (int, any, error) {
	uid, err := requireUID(b)
	if err != nil {
		return 0, nil, err
	}
	list, err := h.db.Keys(r.Context(), uid)
	if err != nil {
		return 0, nil, err
	}
	out := make([]keyOut, len(list))
	for i, k := range list {
		out[i] = keyOut{Key: k.Stored, Comment: k.Comment}
	}
	return http.StatusOK, map[string]any{"keys": out}, nil
}

func (h *handler) keysAdd(r *http.Request, b body) (int, any, error) {
	req, uid, stored, err := keyBody(b)
	if err != nil {
		return 0, nil, err
	}
	var comment *string
	setPtr(&comment, req.Comment)
	if err := h.db.AddKey(r.Context(), uid, hex.EncodeToString(stored), comment); err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, nil, nil
}

// keysDel removes every stored form of the key: "0a1b2c3d4e" also removes
// "000a1b2c3d4e", since both are one key on the panels.
func (h *handler) keysDel(r *http.Request, b body) (int, any, error) {
	_, uid, stored, err := keyBody(b)
	if err != nil {
		return 0, nil, err
	}
	if err := h.db.DeleteKey(r.Context(), uid, reconcile.KeyCode(stored)); err != nil {
		return 0, nil, err
	}
	h.revoke(uid)
	return http.StatusOK, nil, nil
}

func keyBody(b body) (keyRequest, int64, []byte, error) {
	req, err := decode[keyRequest](b)
	if err != nil {
		return req, 0, nil, err
	}
	uid, err := requireID("uid", req.UID)
	if err != nil {
		return req, 0, nil, err
	}
	raw, ok := req.Key.value()
	if !ok {
		return req, 0, nil, required("key")
	}
	stored, err := keyBytes(raw)
	return req, uid, stored, err
}

// keyBytes reads a key as the bytes to store: 1 to 14 hex digits, bytes
// optionally separated by ':', '-' or spaces; an odd count gets one leading
// zero. More than 14 digits cannot be a panel key (panels hold 7-byte UIDs).
func keyBytes(s string) ([]byte, error) {
	digits := strings.Map(func(r rune) rune {
		if r == ':' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	switch {
	case digits == "":
		return nil, invalid("key", "empty: want 1 to 14 hex digits")
	case len(digits) > reconcile.KeyLen:
		return nil, invalid("key", "%d hex digits: panels hold keys of at most 7 bytes (14 hex digits)", len(digits))
	}
	if len(digits)%2 == 1 {
		digits = "0" + digits
	}
	b, err := hex.DecodeString(digits)
	if err != nil {
		return nil, invalid("key", "%q is not hex digits", s)
	}
	return b, nil
}

func (h *handler) typesList(r *http.Request, b body) (int, any, error) {
	list, err := h.db.Types(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"types": list}, nil
}
