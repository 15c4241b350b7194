package panels

import (
	"context"
	"strings"

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
