package panels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"yardsync/reconcile"
)

// sokol speaks IS ISCom X1 (Sokol): JSON over REST, success is any 2xx.
type sokol struct {
	c  *Client
	mu sync.Mutex
	// known is the store as this session last listed it (code -> flat), so
	// a rebind knows which uuids are held; nil when unknown. A listing
	// is kept in listed and made into known at the first write (view).
	known    map[string]int
	listed   []reconcile.PanelKey
	listedOK bool
	// raw is the body of that listing while it is still the store as this
	// session knows it (no write sent since): a rev.5 upload carries its
	// entries as read.
	raw   []byte
	rawOK bool
	// batch holds a rev.5 session's key writes until Finish; nil when none.
	batch *sokolBatch
	up    sync.Mutex // held by Finish while it uploads the batch
}

// sokolInfo is GET /system/info: new firmware names its deviceModel,
// legacy firmware its model.
type sokolInfo struct {
	DeviceID    flexString `json:"deviceID"`
	DeviceModel string     `json:"deviceModel"`
	Model       string     `json:"model"`
}

func (s *sokol) ping(ctx context.Context) (Info, error) {
	var info sokolInfo
	if err := s.getJSON(ctx, "/system/info", &info); err != nil {
		return Info{}, err
	}
	s.learnRev(info)
	if info.DeviceID == "" {
		return Info{}, s.c.fail(reconcile.ErrPermanent, "GET /system/info", "answer has no deviceID")
	}
	model := info.DeviceModel
	if model == "" {
		model = info.Model
	}
	return Info{DeviceID: string(info.DeviceID), Model: model}, nil
}

// sokolKey is one entry of /key/store, and of a merge: SmartYard-Server's
// rev.5 driver sends the access object, so a key opens the main and second
// doors and every gate whatever the firmware's default.
type sokolKey struct {
	UUID       string       `json:"uuid"`
	PanelCode  flexInt      `json:"panelCode"`
	Encryption bool         `json:"encryption"`
	Access     *sokolAccess `json:"access,omitempty"`
}

// sokolListed is what a listing needs of a key: the doors it opens are
// left unread (a map per key was a third of a 2,000-panel no-op run's
// listing CPU). Its fields read leniently, so one foreign entry is skipped
// (see listKeys) instead of failing the store.
type sokolListed struct {
	UUID      lenientString `json:"uuid"`
	PanelCode lenientInt    `json:"panelCode"`
}

// sokolAccess is the doors a key opens.
type sokolAccess struct {
	Main   bool            `json:"main"`
	Second bool            `json:"second"`
	Gates  map[string]bool `json:"gates"`
}

// fullAccess opens the main and second doors and gates 0 to 3.
func fullAccess() *sokolAccess {
	return &sokolAccess{Main: true, Second: true, Gates: map[string]bool{"0": true, "1": true, "2": true, "3": true}}
}

func (s *sokol) listKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	if err := s.checkMode(ctx); err != nil {
		return nil, err
	}
	const path = "/key/store"
	a, err := s.c.get(ctx, path)
	if err != nil {
		return nil, err
	}
	var store []sokolListed
	if err := s.decode("GET "+path, a, &store); err != nil {
		return nil, err
	}
	keys := make([]reconcile.PanelKey, 0, len(store))
	skipped := 0
	for _, k := range store {
		if k.UUID == "" || k.PanelCode == badFlat {
			skipped++ // another system's: no uuid to delete it by, or no flat
			continue
		}
		keys = append(keys, reconcile.PanelKey{Code: string(k.UUID), Flat: int(k.PanelCode)})
	}
	s.c.skipped.Store(int64(skipped))
	s.setKnown(keys, a.body)
	return keys, nil
}

// setKnown keeps a listing (and its body) as the session's view; view
// builds the map at the first write, so a session that only lists builds none.
func (s *sokol) setKnown(keys []reconcile.PanelKey, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known, s.listed, s.listedOK = nil, keys, true
	s.raw, s.rawOK = body, true
}

// view returns known, building it from the last listing first; s.mu is held.
func (s *sokol) view() map[string]int {
	if s.known == nil && s.listedOK {
		s.known = make(map[string]int, len(s.listed))
		for _, k := range s.listed {
			s.known[k.Code] = k.Flat
		}
		s.listed, s.listedOK = nil, false
	}
	return s.known
}

// unknown drops the session's view; s.mu is held.
func (s *sokol) unknown() {
	s.known, s.listed, s.listedOK = nil, nil, false
	s.raw, s.rawOK = nil, false
}

// held returns the flats of the codes the session's view holds, listing
// the store first when the view is unknown.
func (s *sokol) held(ctx context.Context) (map[string]int, error) {
	s.mu.Lock()
	known := maps.Clone(s.view())
	s.mu.Unlock()
	if known != nil {
		return known, nil
	}
	keys, err := s.listKeys(ctx)
	if err != nil {
		return nil, err
	}
	held := make(map[string]int, len(keys))
	for _, k := range keys {
		held[k.Code] = k.Flat
	}
	return held, nil
}

// addNow sends every key in one merge. Keys already on their flat are
// skipped. Nothing shows that a merge overwrites the panelCode of a uuid the
// store holds (SmartYard-Server's is5 clears before it merges; the legacy
// driver merges panelCode 0 only), so a key held on another flat is
// deleted first: a rebind is a delete and the merge.
func (s *sokol) addNow(ctx context.Context, keys []reconcile.PanelKey) error {
	held, err := s.held(ctx)
	if err != nil {
		return err
	}
	var body []sokolKey
	for _, k := range keys {
		flat, ok := held[k.Code]
		if ok && flat == k.Flat {
			continue
		}
		if ok {
			if err := s.deleteNow(ctx, k.Code); err != nil {
				return err
			}
		}
		body = append(body, sokolKey{UUID: k.Code, PanelCode: flexInt(k.Flat), Access: fullAccess()})
	}
	if len(body) == 0 {
		return nil
	}
	return s.learn(body, s.merge(ctx, body))
}

// learn records a merge in the session's view: what the panel accepted is
// held (the read-back judges whether it kept it); after a failure the view
// is unknown.
func (s *sokol) learn(body []sokolKey, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.view() == nil {
		s.unknown()
		return err
	}
	s.raw, s.rawOK = nil, false // the store changed since that body
	for _, k := range body {
		s.known[k.UUID] = int(k.PanelCode)
	}
	return nil
}

// replaceKeys makes the store exactly keys: DELETE /key/store/clear, then
// one merge (none when keys is empty), as SmartYard-Server's is5 driver
// syncs. Two requests however many keys change; the caller decides it is
// safe (no key it must keep is on the panel but not in keys).
//
// The store is read first unless this session's view of it is fresh, so a
// retry after a clear or merge whose answer was lost finds the store right
// and sends nothing, instead of emptying it again. A store holding entries
// yardsync cannot read (no uuid) is not cleared: the clear would take them;
// that answers reconcile.ErrNoReplace and the caller writes key by key.
// On an IS rev.5 the writes are held for the session's upload (Finish), which
// clears and merges the same way but carries unchanged entries as listed.
//
// A clear whose outcome is unknown (an error status, a timeout, a lost
// answer) may have emptied the store, so the merge follows whatever its
// answer: a session that reached the panel never leaves it emptier than
// keys. After a clear left unanswered the panel may still be working on it,
// so the merge waits one request timeout first (one request at a time),
// and goes under a fresh deadline of one request timeout if ctx ended
// meanwhile. Only a clear that never left (ctx ended first) is not
// followed. The error joins both, so the caller retries after either failed.
func (s *sokol) replaceKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	held, err := s.held(ctx)
	if err != nil {
		return err
	}
	if n := s.c.Skipped(); n > 0 {
		return fmt.Errorf("panels: %s %s: the store holds %d entries yardsync cannot read; a clear would delete them: %w",
			s.c.family, s.c.addr, n, reconcile.ErrNoReplace)
	}
	if holds(held, keys) {
		return nil
	}
	if rev5, err := s.rev5(ctx); err != nil || rev5 {
		if err == nil {
			s.holdWhole(held, keys)
		}
		return err
	}
	var body []byte
	if len(keys) > 0 {
		objs := make([]sokolKey, len(keys))
		for i, k := range keys {
			objs[i] = sokolKey{UUID: k.Code, PanelCode: flexInt(k.Flat), Access: fullAccess()}
		}
		if body, err = json.Marshal(objs); err != nil {
			return s.c.fail(reconcile.ErrPermanent, "PUT /key/store/merge", "encode: %v", err)
		}
	}
	cleared, merged := s.clearMerge(ctx, body)
	return errors.Join(cleared, merged)
}

// clearMerge sends DELETE /key/store/clear, then one merge of body (none
// when body is nil) under replaceKeys's rules: the merge follows whatever
// became of the clear, after one request timeout when the clear went
// unanswered, under a fresh deadline when ctx ended. It returns each
// request's error (cleared wraps errNotSent when the clear never left, and
// then no merge was sent). The session's view is dropped.
func (s *sokol) clearMerge(ctx context.Context, body []byte) (cleared, merged error) {
	defer s.forget(nil)
	cleared = s.write(ctx, http.MethodDelete, "/key/store/clear", nil)
	if body == nil || errors.Is(cleared, errNotSent) {
		return cleared, nil
	}
	if errors.Is(cleared, reconcile.ErrUnanswered) {
		wait := time.NewTimer(s.c.timeout)
		select {
		case <-wait.C:
		case <-ctx.Done():
			<-wait.C // the panel may still work on the clear however long the caller waits
		}
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), s.c.timeout)
		defer cancel()
	}
	return cleared, s.write(ctx, http.MethodPut, "/key/store/merge", body)
}

// holds reports whether a store whose codes are on the flats in held is
// exactly keys.
func holds(held map[string]int, keys []reconcile.PanelKey) bool {
	if len(held) != len(keys) {
		return false
	}
	for _, k := range keys {
		if flat, ok := held[k.Code]; !ok || flat != k.Flat {
			return false
		}
	}
	return true
}

func (s *sokol) merge(ctx context.Context, body []sokolKey) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return s.c.fail(reconcile.ErrPermanent, "PUT /key/store/merge", "encode: %v", err)
	}
	return s.write(ctx, http.MethodPut, "/key/store/merge", raw)
}

// forget drops the session's view after a write: the store is read afresh
// if this session needs it again.
func (s *sokol) forget(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unknown()
	return err
}

// deleteNow deletes one uuid. A 404 (the store holds no such uuid) is
// success: the key is gone, as the delete wanted.
func (s *sokol) deleteNow(ctx context.Context, code string) error {
	path := "/key/store/" + url.PathEscape(code)
	a, err := s.c.do(ctx, http.MethodDelete, path, nil)
	if err == nil && a.status != http.StatusNotFound {
		err = s.judge(http.MethodDelete+" "+path, a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.unknown()
	} else if known := s.view(); known != nil {
		delete(known, code)
		s.raw, s.rawOK = nil, false
	}
	return err
}

// checkMode reads /key/settings once per panel address: yardsync's codes are
// 7-byte UIDs, key mode 2. Another mode is reported, never changed: changing
// it may drop every key the panel holds. Firmware without /key/settings
// (404) is taken as it is. The revision is probed with it (see rev5), so a
// panel a dialer has listed is probed.
func (s *sokol) checkMode(ctx context.Context) error {
	if s.c.traits.get(s.c.addr).keyMode != yes {
		if err := s.readMode(ctx); err != nil {
			return err
		}
	}
	_, err := s.rev5(ctx)
	return err
}

// readMode reads /key/settings and remembers a mode yardsync can work with.
func (s *sokol) readMode(ctx context.Context) error {
	const path = "/key/settings"
	a, err := s.c.get(ctx, path)
	if err != nil {
		return err
	}
	if a.status != http.StatusNotFound {
		var set struct {
			Mode *flexInt `json:"mode"`
		}
		if err := s.decode("GET "+path, a, &set); err != nil {
			return err
		}
		if set.Mode != nil && *set.Mode != 2 {
			return s.c.fail(reconcile.ErrPermanent, "GET "+path, "key mode %d, want 2 (7-byte UID): set it on the panel; yardsync does not change it", *set.Mode)
		}
	}
	s.c.traits.update(s.c.addr, func(tr *traits) { tr.keyMode = yes })
	return nil
}

// write sends a change and judges its answer.
func (s *sokol) write(ctx context.Context, method, path string, body []byte) error {
	a, err := s.c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	return s.judge(method+" "+path, a)
}

// judge accepts a write's answer: a 2xx with an empty or JSON body.
func (s *sokol) judge(req string, a answer) error {
	if err := s.c.statusError(req+s.reason(a), a.status); err != nil {
		return err
	}
	if b := bytes.TrimSpace(a.body); len(b) > 0 && !json.Valid(b) {
		return s.c.fail(reconcile.ErrPermanent, req, "unparsable answer %s", snippet(a.body))
	}
	return nil
}

// reason quotes what a refusing panel says in its {"errors": [...]} body,
// for the error message; empty on success or without such a body.
func (s *sokol) reason(a answer) string {
	var e struct {
		Errors []string `json:"errors"`
	}
	if a.status < 300 || json.Unmarshal(a.body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return " (panel says " + s.c.scrub(snippet([]byte(strings.Join(e.Errors, "; ")))) + ")"
}

// getJSON reads a JSON answer into v; an empty body reads as nothing.
func (s *sokol) getJSON(ctx context.Context, path string, v any) error {
	a, err := s.c.get(ctx, path)
	if err != nil {
		return err
	}
	return s.decode("GET "+path, a, v)
}

// decode judges an answer's status and reads its JSON body into v.
func (s *sokol) decode(req string, a answer, v any) error {
	if err := s.c.statusError(req, a.status); err != nil {
		return err
	}
	if len(bytes.TrimSpace(a.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return s.c.fail(reconcile.ErrPermanent, req, "unparsable answer %s: %v", snippet(a.body), err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
