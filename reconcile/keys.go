package reconcile

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// KeyLen is the length of a normalised key code: a 7-byte UID in hex.
const KeyLen = 14

// NormalizeKey turns operator input into the normalised key code: 6 to 14 hex
// digits, or hex bytes separated by ':', '-' or spaces, upper-cased and
// left-padded with zeros to 14 characters.
func NormalizeKey(s string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		switch r {
		case ':', '-', ' ':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(digits) < 6 || len(digits) > KeyLen {
		return "", Errorf(ErrInvalid, "key %q: want 6 to 14 hex digits", s)
	}
	for _, r := range digits {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return "", Errorf(ErrInvalid, "key %q: %q is not a hex digit", s, r)
		}
	}
	return strings.Repeat("0", KeyLen-len(digits)) + strings.ToUpper(digits), nil
}

// KeyBytes converts a normalised key code to the 7 bytes SmartYard stores.
func KeyBytes(code string) ([]byte, error) {
	b, err := hex.DecodeString(code)
	if err != nil || len(b) != KeyLen/2 {
		return nil, Errorf(ErrInvalid, "key %q is not normalised", code)
	}
	return b, nil
}

// KeyCode converts a stored key (any length up to 7 bytes) to its normalised code.
func KeyCode(b []byte) string {
	s := strings.ToUpper(hex.EncodeToString(b))
	if len(s) < KeyLen {
		s = strings.Repeat("0", KeyLen-len(s)) + s
	}
	return s
}

// FlatNumber parses a billing flat: a whole number from 1 to 9999, with
// surrounding spaces allowed. Anything else ("7а", "12/1", empty) is not guessed.
func FlatNumber(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 9999 {
		return 0, false
	}
	return n, true
}

// panelCode normalises a code as a panel listed it, for comparison only
// (another system may have written 0a1b2c3d4e); a delete still names the
// code as listed. A code that cannot be normalised stays as listed, so it
// never matches a wanted one.
func panelCode(listed string) string {
	if normalised(listed) {
		return listed // the common case, without allocating
	}
	if code, err := NormalizeKey(listed); err == nil {
		return code
	}
	return listed
}

// normalised reports whether s is already a normalised code.
func normalised(s string) bool {
	if len(s) != KeyLen {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
