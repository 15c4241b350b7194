package billing

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// The conversions below take what either driver returns for a column
// (int64, float64, bool, string, []byte already decoded to UTF-8,
// time.Time, pgtype.Numeric, nil) and give the specification's types.

// toFloat reads money and prices: NULL is 0, DECIMAL and text are parsed.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case bool:
		return map[bool]float64{false: 0, true: 1}[x], nil
	case pgtype.Numeric:
		return numericFloat(x)
	case string:
		return parseFloat(x)
	}
	if n, ok := asInt(v); ok {
		return float64(n), nil
	}
	return 0, fmt.Errorf("%T is not a number", v)
}

func numericFloat(n pgtype.Numeric) (float64, error) {
	if !n.Valid || n.NaN {
		return 0, nil
	}
	f, err := n.Float64Value()
	if err != nil {
		return 0, err
	}
	return f.Float64, nil
}

// parseFloat accepts text numbers, with a decimal comma too; "" is 0.
func parseFloat(s string) (float64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case uint32:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint8:
		return int64(x), true
	}
	return 0, false
}

// toDate gives YYYY-MM-DD; NULL, ” and zero dates (0000-00-00) give ”.
func toDate(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case time.Time:
		if x.IsZero() || x.Year() <= 1 {
			return "", nil
		}
		return x.Format(time.DateOnly), nil
	case pgtype.InfinityModifier:
		return "", nil // ±infinity: no date
	case pgtype.Date:
		return pgDate(x)
	case pgtype.Timestamp:
		return pgDate(pgtype.Date(x))
	case pgtype.Timestamptz:
		return pgDate(pgtype.Date(x))
	case string:
		return textDate(x)
	}
	return "", fmt.Errorf("%T is not a date", v)
}

// pgDate: ±infinity means no date.
func pgDate(d pgtype.Date) (string, error) {
	if !d.Valid || d.InfinityModifier != pgtype.Finite {
		return "", nil
	}
	return toDate(d.Time)
}

// textDate takes the date part of 'YYYY-MM-DD[ hh:mm:ss]'.
func textDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0000-00-00") {
		return "", nil
	}
	if len(s) >= 10 {
		if t, err := time.Parse(time.DateOnly, s[:10]); err == nil {
			return toDate(t)
		}
	}
	return "", fmt.Errorf("%q is not a date", s)
}

// toBool reads flags: 0/1, t/f, Y/N, true/false, yes/no, да/нет; NULL is false.
func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case string:
		return textBool(x)
	}
	f, err := toFloat(v)
	if err != nil {
		return false, fmt.Errorf("%T is not a flag", v)
	}
	return f != 0, nil
}

func textBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "\x01", "1", "t", "true", "y", "yes", "on", "да", "д":
		return true, nil
	case "\x00", "0", "f", "false", "n", "no", "off", "", "нет", "н":
		return false, nil
	}
	if f, err := parseFloat(s); err == nil {
		return f != 0, nil
	}
	return false, fmt.Errorf("%q is not a flag (want 0/1, t/f, Y/N)", s)
}

// toText reads text columns; numbers become their shortest decimal text,
// dates YYYY-MM-DD, NULL ”.
func toText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case bool:
		return strconv.FormatBool(x), nil
	case pgtype.Numeric:
		f, err := numericFloat(x)
		return strconv.FormatFloat(f, 'f', -1, 64), err
	case time.Time, pgtype.InfinityModifier, pgtype.Date, pgtype.Timestamp, pgtype.Timestamptz:
		return toDate(v)
	}
	if n, ok := asInt(v); ok {
		return strconv.FormatInt(n, 10), nil
	}
	return fmt.Sprint(v), nil
}

// toUID reads a contract uid: a positive whole number.
func toUID(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case nil:
		return 0, fmt.Errorf("NULL is not a uid")
	case string:
		p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a uid", x)
		}
		n = p
	default:
		i, err := wholeNumber(v)
		if err != nil {
			return 0, err
		}
		n = i
	}
	if n <= 0 {
		return 0, fmt.Errorf("%d is not a positive uid", n)
	}
	return n, nil
}

func wholeNumber(v any) (int64, error) {
	if i, ok := asInt(v); ok {
		return i, nil
	}
	f, err := toFloat(v)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%v is not a uid", v)
	}
	return int64(f), nil
}
