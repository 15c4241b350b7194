package billing_test

import (
	"errors"
	"testing"

	"yardsync/billing"
	"yardsync/reconcile"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, prefix, want string }{
		{"89101234567", "8", "89101234567"},
		{"+7 (910) 123-45-67", "8", "89101234567"},
		{"79101234567", "8", "89101234567"},
		{"8-910-123-45-67", "8", "89101234567"},
		{"9101234567", "8", "89101234567"},
		{" 8.910.123.45.67 ", "8", "89101234567"},
		{"+79101234567", "7", "79101234567"},
		{"89101234567", "", "9101234567"},
		{"+380 44 123 45 67", "8", "380441234567"},
	}
	for _, tc := range cases {
		got, err := billing.NormalizePhone(tc.raw, tc.prefix)
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tc.raw, tc.prefix, got, err, tc.want)
		}
	}
	for _, raw := range []string{"", "   ", "abc", "8910abc1234", "12345", "556677", "8910123456789012", "89101234567;89101234568"} {
		if got, err := billing.NormalizePhone(raw, "8"); !errors.Is(err, reconcile.ErrInvalid) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want ErrInvalid", raw, got, err)
		}
	}
}
