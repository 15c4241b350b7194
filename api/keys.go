package api

import (
	"net/http"

	"yardsync/reconcile"
)

type keyOut struct {
	Key     string  `json:"key"`
	Comment *string `json:"comment"`
}

func (h *handler) keysList(r *http.Request, b body) (int, any, error) {
	uid, err := b.id("uid")
	if err != nil {
		return 0, nil, err
	}
	list, err := h.Store.Keys(r.Context(), uid)
	if err != nil {
		return 0, nil, err
	}
	out := make([]keyOut, len(list))
	for i, k := range list {
		out[i] = keyOut{Key: k.Code, Comment: k.Comment}
	}
	return http.StatusOK, map[string]any{"keys": out}, nil
}

func (h *handler) keysAdd(r *http.Request, b body) (int, any, error) {
	uid, code, err := keyBody(b)
	if err != nil {
		return 0, nil, err
	}
	comment, err := b.str("comment")
	if err != nil {
		return 0, nil, err
	}
	if err := h.Store.AddKey(r.Context(), uid, code, comment); err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, nil, nil
}

func (h *handler) keysDel(r *http.Request, b body) (int, any, error) {
	uid, code, err := keyBody(b)
	if err != nil {
		return 0, nil, err
	}
	if err := h.Store.DeleteKey(r.Context(), uid, code); err != nil {
		return 0, nil, err
	}
	h.touch(uid)
	return http.StatusOK, nil, nil
}

func keyBody(b body) (int64, string, error) {
	uid, err := b.id("uid")
	if err != nil {
		return 0, "", err
	}
	raw, err := b.str("key")
	if err != nil {
		return 0, "", err
	}
	if raw == nil {
		return 0, "", reconcile.Errorf(reconcile.ErrInvalid, "field \"key\" is required")
	}
	code, err := reconcile.NormalizeKey(*raw)
	if err != nil {
		return 0, "", err
	}
	return uid, code, nil
}

func (h *handler) typesList(r *http.Request, b body) (int, any, error) {
	list, err := h.Store.Types(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"types": list}, nil
}
