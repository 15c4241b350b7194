package panels

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// field is one Name=Value line of a Beward answer.
type field struct {
	name, value string
}

// parseLines reads a Beward Name=Value list: blank lines are skipped, CRLF and
// surrounding spaces are trimmed, and as the SmartYard driver does, the value
// ends at a second '='. Binary noise, HTML, or a non-blank line that is not
// Name=Value (an error sentence) makes the whole answer unparsable.
func parseLines(body []byte) ([]field, error) {
	if garbled(body) {
		return nil, fmt.Errorf("body %s is not text", snippet(body))
	}
	var out []field
	for i, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !validName(name) {
			return nil, fmt.Errorf("line %d %s is not Name=Value", i+1, snippet([]byte(line)))
		}
		value, _, _ = strings.Cut(value, "=")
		out = append(out, field{name: name, value: strings.TrimSpace(value)})
	}
	return out, nil
}

// garbled reports a body no Beward sends: binary bytes or HTML.
func garbled(body []byte) bool {
	s := strings.TrimSpace(string(body))
	if !utf8.ValidString(s) || strings.HasPrefix(s, "<") {
		return true
	}
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\r' && r != '\n' && r != '\t' })
}

// validName accepts what a panel could call a field: printable ASCII
// without markup or quoting characters, so HTML and JSON lines are not fields.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < ' ' || r > '~' || strings.ContainsRune(`<>{}"`, r) {
			return false
		}
	}
	return true
}

// indexed splits "KeyValue12" into 12 when prefix is "KeyValue"; the suffix
// must be all digits, so "KeyValueType1" or "Key" alone are not matches.
func indexed(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return 0, false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// keyTable collects indexed key codes and their flats from a list answer.
// codeName is "KeyValue" (rfid_cgi) or "Key" (mifare_cgi).
func keyTable(fields []field, codeName string) (codes map[int]string, flats map[int]int, err error) {
	codes, flats = map[int]string{}, map[int]int{}
	for _, f := range fields {
		if i, ok := indexed(f.name, codeName); ok {
			if f.value == "" {
				return nil, nil, fmt.Errorf("%s has no code", f.name)
			}
			codes[i] = f.value
			continue
		}
		if i, ok := indexed(f.name, "Apartment"); ok {
			flat, err := parseFlat(f.value)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.name, err)
			}
			flats[i] = flat
		}
	}
	return codes, flats, nil
}

// parseFlat reads an Apartment value; empty means not bound (0).
func parseFlat(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 9999 {
		return 0, fmt.Errorf("flat %q is not a number from 0 to 9999", s)
	}
	return n, nil
}
