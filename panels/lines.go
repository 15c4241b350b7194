package panels

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"yardsync/reconcile"
)

// field is one Name=Value line of a Beward answer.
type field struct {
	name, value string
}

// parseLines reads a Beward Name=Value list: blank lines are skipped, CRLF and
// surrounding spaces are trimmed, and as the SmartYard driver does, the value
// ends at a second '='. A line that is not Name=Value (a heading, a count, a
// sentence) is skipped, as the production drivers skip it. Binary noise,
// HTML, or a body with text but not one Name=Value line is unparsable.
func parseLines(body []byte) ([]field, error) {
	if garbled(body) {
		return nil, fmt.Errorf("body %s is not text", snippet(body))
	}
	var out []field
	skipped := ""
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !validName(name) {
			skipped = line
			continue
		}
		value, _, _ = strings.Cut(value, "=")
		out = append(out, field{name: name, value: strings.TrimSpace(value)})
	}
	if out == nil && skipped != "" {
		return nil, fmt.Errorf("no Name=Value line in %s", snippet([]byte(skipped)))
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

// keyIndex reads a key line's name: one that contains codeName followed
// only by digits (its index, maybe none), as SmartYard-Server takes any name
// containing KeyValue or Key. A mifare list (codeName "Key") also takes
// KeyValue<n>. Other names (KeyType1, Apartment1) are not keys.
func keyIndex(name, codeName string) (idx int, hasIdx, ok bool) {
	names := []string{codeName}
	if codeName == "Key" {
		names = []string{"KeyValue", "Key"}
	}
	for _, n := range names {
		at := strings.LastIndex(name, n)
		if at < 0 {
			continue
		}
		rest := name[at+len(n):]
		if strings.Trim(rest, "0123456789") != "" {
			continue
		}
		i, err := strconv.Atoi(rest)
		return i, err == nil, true
	}
	return 0, false, false
}

// flatIndex reads an Apartment<n> line's index.
func flatIndex(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "Apartment")
	if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// keyList collects the keys of a list answer in index order, each with the
// flat of its Apartment<n> line, or reconcile.FlatUnlisted where the panel
// lists none. A key line without an index comes after the indexed ones and
// has no flat. An empty code is skipped: nothing could delete it by name.
// A key whose Apartment<n> is not a flat (another system's "12a") is
// skipped and counted in skipped: yardsync cannot tell whose it is or where
// it opens, and must not fail the whole list for it. flatLines counts the
// Apartment<n> lines, readable or not.
func keyList(fields []field, codeName string) (keys []reconcile.PanelKey, flatLines, skipped int) {
	codes, flats := map[int]string{}, map[int]int{}
	var bad map[int]bool // indexes whose Apartment is unreadable
	var loose []string
	for _, f := range fields {
		if i, hasIdx, ok := keyIndex(f.name, codeName); ok {
			switch {
			case f.value == "":
			case hasIdx:
				codes[i] = f.value
			default:
				loose = append(loose, f.value)
			}
			continue
		}
		if i, ok := flatIndex(f.name); ok {
			flatLines++
			flat, err := parseFlat(f.value)
			if err != nil {
				bad = setIndex(bad, i)
				delete(flats, i)
				continue
			}
			flats[i] = flat
			delete(bad, i)
		}
	}
	for _, i := range slices.Sorted(maps.Keys(codes)) {
		flat, listed := flats[i]
		switch {
		case bad[i]:
			skipped++
			continue
		case !listed:
			flat = reconcile.FlatUnlisted
		}
		keys = append(keys, reconcile.PanelKey{Code: codes[i], Flat: flat})
	}
	for _, code := range loose {
		keys = append(keys, reconcile.PanelKey{Code: code, Flat: reconcile.FlatUnlisted})
	}
	return keys, flatLines, skipped
}

func setIndex(m map[int]bool, i int) map[int]bool {
	if m == nil {
		m = map[int]bool{}
	}
	m[i] = true
	return m
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
