package reconcile

import (
	"errors"
	"fmt"
)

// Sentinel errors shared by every adapter, checked with errors.Is. The API
// maps them to HTTP statuses in one place.
var (
	// ErrInvalid marks bad input: a malformed phone, key, id or field.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound marks a reference to something that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a write that collides with existing data.
	ErrConflict = errors.New("conflict")
	// ErrUnprocessable marks a well-formed request that refers to unusable data
	// (for example rights for a device that does not exist).
	ErrUnprocessable = errors.New("unprocessable")
	// ErrUnavailable marks a dependency that is not configured or not reachable.
	ErrUnavailable = errors.New("unavailable")

	// ErrBusy marks what another run holds for longer than the caller waits:
	// the run lock, or a panel's lease (also a lease that ran out before this
	// run could write the panel).
	ErrBusy = errors.New("busy")

	// ErrTransient marks a panel or billing failure worth retrying: a timeout,
	// a refused or reset connection, a 5xx status.
	ErrTransient = errors.New("transient")
	// ErrPermanent marks a failure a retry will not fix: bad credentials, a
	// body saying the request failed, an unparsable answer.
	ErrPermanent = errors.New("permanent")
	// ErrUnanswered marks, beside ErrTransient, a panel request that was
	// sent and got no answer (a timeout, a reset, a lost answer): the panel
	// may have applied it, or may still be working on it.
	ErrUnanswered = errors.New("unanswered")
)

// IsTransient reports whether err is worth retrying.
func IsTransient(err error) bool { return errors.Is(err, ErrTransient) }

// Errorf returns an error of the given kind (one of the sentinels above)
// whose message is only the formatted text: errors.Is(err, kind) holds, and
// the text an operator reads carries no sentinel suffix.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }
