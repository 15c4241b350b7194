package billing

import (
	"strings"

	"yardsync/reconcile"
)

// NormalizePhone turns what a caller typed into the digits the billing
// queries get as @phone. Spaces, '+', '-', '.', '(' and ')' are dropped; an
// 11-digit number starting with 7 or 8 (+7 910 …, 8-910-…) and a 10-digit
// number become prefix + the last 10 digits; other numbers of 11 to 15 digits
// (international) are kept as they are. Anything else wraps
// reconcile.ErrInvalid.
func NormalizePhone(raw, prefix string) (string, error) {
	digits, ok := phoneDigits(raw)
	if !ok {
		return "", reconcile.Errorf(reconcile.ErrInvalid, "phone %q is not a phone number", clip(raw))
	}
	switch n := len(digits); {
	case n == 10:
		return prefix + digits, nil
	case n == 11 && (digits[0] == '7' || digits[0] == '8'):
		return prefix + digits[1:], nil
	case n >= 11 && n <= 15:
		return digits, nil
	}
	return "", reconcile.Errorf(reconcile.ErrInvalid, "phone %q is not a phone number: want 10 or 11 digits", clip(raw))
}

// phoneDigits keeps the digits of raw; ok is false when raw holds anything
// but digits and the usual punctuation of a written phone number.
func phoneDigits(raw string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(raw) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" +-.()\u00a0", r):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// clip keeps error messages short when a caller sends a novel as a phone.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// phoneArgs are the values of @phone and @phone10.
type phoneArgs struct {
	phone   string // normalised
	phone10 string // its last 10 digits
}

func newPhoneArgs(normal string) phoneArgs {
	p10 := normal
	if len(p10) > 10 {
		p10 = p10[len(p10)-10:]
	}
	return phoneArgs{phone: normal, phone10: p10}
}
