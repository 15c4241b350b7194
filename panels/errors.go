package panels

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/go-resty/resty/v2"

	"yardsync/reconcile"
)

// causeError carries the original failure for errors.Is/As while showing only
// a scrubbed message.
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }
func (e *causeError) Unwrap() error { return e.err }

var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@`)

// fail builds an error with the package prefix, the request and a kind
// (ErrTransient or ErrPermanent). The request line is built by this package
// and never holds a secret; the rest is scrubbed.
func (c *Client) fail(kind error, req, format string, args ...any) error {
	msg := c.scrub(fmt.Sprintf(format, args...))
	if req != "" {
		msg = req + ": " + msg
	}
	return fmt.Errorf("panels: %s %s: %s: %w", c.family, c.addr, msg, kind)
}

// transportError classifies a failure to get an answer at all.
func (c *Client) transportError(req string, err error) error {
	kind := reconcile.ErrTransient
	if errors.Is(err, resty.ErrResponseBodyTooLarge) {
		kind = reconcile.ErrPermanent
	}
	cause := &causeError{msg: c.scrub(describe(err)), err: err}
	if sent(err) {
		return fmt.Errorf("panels: %s %s: %s: %w: %w", c.family, c.addr, req, kind, &causeError{msg: cause.msg,
			err: errors.Join(reconcile.ErrUnanswered, err)})
	}
	return fmt.Errorf("panels: %s %s: %s: %w: %w", c.family, c.addr, req, kind, cause)
}

// sent reports whether a request that failed may have reached the panel:
// anything but a connection never made (refused, no route, a dial that
// timed out). Such a request may have been applied, or be in progress still.
func sent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	var op *net.OpError
	return !errors.As(err, &op) || op.Op != "dial"
}

// describe names a transport failure briefly, without the request URL.
func describe(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// scrub removes the password and any URL credentials from a message.
func (c *Client) scrub(msg string) string {
	msg = userinfoRE.ReplaceAllString(msg, "$1")
	if c.password != "" {
		msg = strings.ReplaceAll(msg, c.password, "xxxxx")
	}
	return msg
}

// statusError classifies a non-success HTTP status, or returns nil for 2xx.
func (c *Client) statusError(req string, status int) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == 401 || status == 403:
		return c.fail(reconcile.ErrPermanent, req, "status %d: bad credentials", status)
	case status >= 500, status == 408, status == 429:
		return c.fail(reconcile.ErrTransient, req, "status %d", status)
	}
	return c.fail(reconcile.ErrPermanent, req, "status %d", status)
}

// snippet quotes the start of a body for an error message.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Sprintf("%q", s)
}
