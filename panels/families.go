package panels

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"sync"

	"yardsync/reconcile"
)

// refusal builds the permanent error of a write the panel refused, with
// what to do: a full table is the usual cause of a refused add.
func (c *Client) refusal(req, action, says string) error {
	hint := "check the panel's log"
	if strings.Contains(action, "add") || strings.Contains(action, "pack") {
		hint = "a full key table refuses adds: remove keys nobody uses from the panel"
	}
	return panelRefused{c.fail(reconcile.ErrPermanent, req, "panel refused it and says %s: %s", snippet([]byte(says)), hint)}
}

// absent reports whether code (as listed) is not on the panel now, by a
// fresh listing: a refused delete of an absent key is a success.
func (c *Client) absent(ctx context.Context, code string, list func(context.Context) ([]reconcile.PanelKey, error)) bool {
	held, err := c.heldCodes(ctx, list)
	if err != nil {
		return false
	}
	n, err := reconcile.NormalizeKey(code)
	return err == nil && !held[n]
}

// heldCodes lists the panel and returns the codes it holds, normalised as
// listed.
func (c *Client) heldCodes(ctx context.Context, list func(context.Context) ([]reconcile.PanelKey, error)) (map[string]bool, error) {
	keys, err := list(ctx)
	if err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(keys))
	for _, k := range keys {
		if n, err := reconcile.NormalizeKey(k.Code); err == nil {
			held[n] = true
		}
	}
	return held, nil
}

// hexCode reports whether a listed code is hex digits, 1 to 14 of them.
func hexCode(s string) bool {
	if s == "" || len(s) > 14 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// codeView is the codes a panel that binds no flat (Qtech, Rubetek) holds,
// as this client last listed them and changed them since, so the add
// right after the reconciler's list does not list the panel again. It is
// unknown (nil) until a list, and again after a failed write, whose effect
// is uncertain. A Beward keeps its own view, with flats (beward.known).
type codeView struct {
	mu    sync.Mutex
	codes map[string]bool // normalised codes; nil: unknown
}

// listed records a listing as the view.
func (v *codeView) listed(keys []reconcile.PanelKey) {
	codes := make(map[string]bool, len(keys))
	for _, k := range keys {
		if n, err := reconcile.NormalizeKey(k.Code); err == nil {
			codes[n] = true
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.codes = codes
}

// held returns the codes the panel holds: the view, or a fresh listing
// (which list records) when the view is unknown.
func (v *codeView) held(ctx context.Context, c *Client, list func(context.Context) ([]reconcile.PanelKey, error)) (map[string]bool, error) {
	v.mu.Lock()
	codes := maps.Clone(v.codes)
	v.mu.Unlock()
	if codes != nil {
		return codes, nil
	}
	return c.heldCodes(ctx, list)
}

// unheld returns the codes of keys the panel does not hold, as held tells:
// what an add to a family that binds no flat still has to send.
func (v *codeView) unheld(ctx context.Context, c *Client, list func(context.Context) ([]reconcile.PanelKey, error), keys []reconcile.PanelKey) ([]string, error) {
	held, err := v.held(ctx, c, list)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, k := range keys {
		if !held[k.Code] {
			codes = append(codes, k.Code)
		}
	}
	return codes, nil
}

// learn records a write of codes: held after an add, gone after a delete;
// a failed write makes the view unknown.
func (v *codeView) learn(codes []string, held bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.codes == nil {
		return
	}
	if err != nil {
		v.codes = nil
		return
	}
	for _, code := range codes {
		n, nerr := reconcile.NormalizeKey(code)
		switch {
		case nerr != nil:
			v.codes = nil // a code the view cannot name: read the panel next time
			return
		case held:
			v.codes[n] = true
		default:
			delete(v.codes, n)
		}
	}
}

// readEnvelope reads a Qtech or Akuvox answer, {"retcode", "message",
// "data"}, in one pass: its data goes straight into out (nil: the data is
// not read). An answer whose data does not fit out is read again for its
// head alone, so a refusal's own data never hides its retcode; dataErr then
// says the data did not fit. null reports as no data (hasData false); err
// is an answer that is no JSON object at all.
func readEnvelope(body []byte, out any) (retcode *flexInt, message string, hasData bool, dataErr, err error) {
	body = bytes.TrimSpace(body)
	if out == nil {
		out = &json.RawMessage{}
	}
	ans := struct {
		Retcode *flexInt `json:"retcode"`
		Message string   `json:"message"`
		Data    any      `json:"data"`
	}{Data: out}
	if dataErr = json.Unmarshal(body, &ans); dataErr != nil {
		var head struct {
			Retcode *flexInt `json:"retcode"`
			Message string   `json:"message"`
		}
		if err := json.Unmarshal(body, &head); err != nil {
			return nil, "", false, nil, err
		}
		return head.Retcode, head.Message, true, dataErr, nil
	}
	return ans.Retcode, ans.Message, ans.Data != nil, nil, nil
}
