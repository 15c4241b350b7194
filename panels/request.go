package panels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"yardsync/reconcile"
)

// Ping asks the panel who it is; a panel that answers without a device id is
// not a panel yardsync can drive.
func (c *Client) Ping(ctx context.Context) (Info, error) { return c.drv.ping(ctx) }

// ListKeys reads every key the panel holds, codes verbatim. An entry it
// cannot read (a Beward key line whose Apartment is not a number, a Sokol
// entry with no uuid) is another system's: it is skipped and counted (see
// Skipped), so one foreign entry never hides the others. An answer with
// nothing readable in it (HTML, binary noise, JSON that is not a store) is
// still an error.
func (c *Client) ListKeys(ctx context.Context) ([]reconcile.PanelKey, error) {
	return c.drv.listKeys(ctx)
}

// Skipped is the number of entries the last successful listing skipped
// because it could not read them. Safe for concurrent use.
func (c *Client) Skipped() int { return int(c.skipped.Load()) }

// AddKeys adds keys bound to their flats, rebinding codes already present on
// another flat; keys already present on the same flat are left alone.
// Codes must be normalised (reconcile.NormalizeKey) and flats 0 to 9999.
func (c *Client) AddKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	if err := c.checkKeys(keys); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	return c.drv.addKeys(ctx, keys)
}

// DeleteKey removes one key by its code as the panel listed it. A key the
// panel does not hold is no error: the delete wanted it gone, and a blind
// delete of a key whose add may land late must not fail the session. What
// each family answers for an absent key: Beward "Request failed" (taken as
// "absent" when the session's view, or a fresh list, shows the key is not
// in that table), Sokol 404.
func (c *Client) DeleteKey(ctx context.Context, code string) error {
	if code == "" {
		return c.fail(reconcile.ErrPermanent, "", "delete key: empty code")
	}
	return c.drv.deleteKey(ctx, code)
}

// ReplaceKeys makes a Sokol's key store exactly keys: DELETE
// /key/store/clear, then one merge. It implements reconcile.Replacer; the
// reconciler calls it only where no key it must keep would be lost. Once the
// clear went out the merge follows, whatever the clear's answer, even when
// ctx ended meanwhile (then under a fresh deadline of one request timeout):
// a panel this reached is never left emptier than keys. The error joins the
// clear's and the merge's. A Beward has no such call: the error wraps
// reconcile.ErrPermanent.
func (c *Client) ReplaceKeys(ctx context.Context, keys []reconcile.PanelKey) error {
	if err := c.checkKeys(keys); err != nil {
		return err
	}
	s, ok := c.drv.(*sokol)
	if !ok {
		return c.fail(reconcile.ErrPermanent, "", "replace keys: only a Sokol clears its store in one request")
	}
	return s.replaceKeys(ctx, keys)
}

// Finish ends a session of writes: Beward saves its configuration to flash
// (or the keys are lost at reboot); an IS rev.5 Sokol uploads the session's
// adds and deletes, which it held until now, as DELETE /key/store/clear and
// one merge of the whole resulting store (or key by key, see
// docs/panels.md); a rev.2 Sokol needs nothing. Until Finish a rev.5's
// AddKeys and DeleteKey answer nil without a request: only the read-back
// after Finish shows what the panel holds. A failed Finish keeps what it
// did not write, so calling it again goes on.
func (c *Client) Finish(ctx context.Context) error { return c.drv.finish(ctx) }

// Tables names the key tables a Beward held code in (as listed) when this
// client last read or changed it: "rfid" (rfid_cgi), "mifare" (mifare_cgi,
// mirrored on the never-listed extrfid_cgi), or both. Nil for Sokol, which
// has one store, and for a code not seen.
func (c *Client) Tables(code string) []string {
	if b, ok := c.drv.(*beward); ok {
		return b.tables(code)
	}
	return nil
}

// Family names the panel family ("beward" or "sokol").
func (c *Client) Family() string { return c.family }

// Addr is the panel's ip:port.
func (c *Client) Addr() string { return c.addr }

func (c *Client) checkKeys(keys []reconcile.PanelKey) error {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if n, err := reconcile.NormalizeKey(k.Code); err != nil || n != k.Code {
			return c.fail(reconcile.ErrPermanent, "", "add keys: code %q is not normalised", k.Code)
		}
		if k.Flat < 0 || k.Flat > 9999 {
			return c.fail(reconcile.ErrPermanent, "", "add keys: key %s: flat %d out of range", k.Code, k.Flat)
		}
		if seen[k.Code] {
			return c.fail(reconcile.ErrPermanent, "", "add keys: key %s given twice", k.Code)
		}
		seen[k.Code] = true
	}
	return nil
}

// answer is a panel's HTTP answer.
type answer struct {
	status int
	body   []byte
}

// errNotSent marks a request that never left: its context ended before it
// was sent, or while it waited at the gate.
var errNotSent = errors.New("not sent")

// do sends one request, waiting its turn at the panel's gate. Only transport
// failures are errors here; the caller judges status and body.
func (c *Client) do(ctx context.Context, method, pathQuery string, body []byte) (answer, error) {
	req := method + " " + pathQuery
	if err := ctx.Err(); err != nil {
		return answer{}, c.transportError(req, fmt.Errorf("%w (%w)", err, errNotSent))
	}
	select {
	case c.gate <- struct{}{}:
	case <-ctx.Done():
		return answer{}, c.transportError(req, fmt.Errorf("%w (%w)", ctx.Err(), errNotSent))
	}
	defer func() { <-c.gate }()
	r := c.http.R().SetContext(ctx)
	if body != nil {
		r.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	start := time.Now()
	resp, err := r.Execute(method, c.base+pathQuery)
	if err != nil {
		err = c.transportError(req, err)
		c.faltering.Store(true)
		c.debug(ctx, method, pathQuery, 0, start, err)
		return answer{}, err
	}
	st := resp.StatusCode()
	c.faltering.Store(st >= 500 || st == http.StatusRequestTimeout || st == http.StatusTooManyRequests)
	c.debug(ctx, method, pathQuery, resp.StatusCode(), start, nil)
	return answer{status: resp.StatusCode(), body: resp.Body()}, nil
}

// debug logs one panel request at debug level. The path names keys, never
// the password: that travels in the Authorization header.
func (c *Client) debug(ctx context.Context, method, pathQuery string, status int, start time.Time, err error) {
	if c.log == nil || !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("panel", c.addr), slog.String("method", method), slog.String("path", pathQuery),
		slog.Int("status", status), slog.Duration("took", time.Since(start))}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "panel request", attrs...)
}

// get is do for a GET without a body.
func (c *Client) get(ctx context.Context, pathQuery string) (answer, error) {
	return c.do(ctx, http.MethodGet, pathQuery, nil)
}
