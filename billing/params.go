package billing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// dialect is the SQL flavour a query is rewritten for.
type dialect int

const (
	postgresDialect dialect = iota // $1, $2 …
	mysqlDialect                   // ?
)

// Named parameters of the operator's queries.
const (
	paramPhone   = "phone"
	paramPhone10 = "phone10"
	paramUID     = "uid"
)

var knownParams = []string{paramPhone, paramPhone10, paramUID, paramSince}

// compiled is an operator's query rewritten to the driver's placeholders.
type compiled struct {
	sql    string
	params []string // parameter name of each placeholder, in order
	// utc: the query takes @since, a point in time, so it runs in a session
	// whose time zone is UTC: a zoneless timestamp column holds UTC and
	// compares so, whatever the billing server's or the DSN's zone.
	utc bool
}

// args lays out the values for the placeholders.
func (c compiled) args(values map[string]any) []any {
	out := make([]any, len(c.params))
	for i, name := range c.params {
		out[i] = values[name]
	}
	return out
}

// compile rewrites @phone, @phone10 and @uid outside string literals, quoted
// identifiers and comments into placeholders. Other @names (MySQL user
// variables, @@system variables) are left as they are. Values are never
// pasted into the SQL: they always go as parameters.
func compile(query string, d dialect, allowed ...string) (compiled, error) {
	l := lexer{src: query, d: d}
	for l.i < len(l.src) {
		if err := l.step(allowed); err != nil {
			return compiled{}, err
		}
	}
	return compiled{sql: l.out.String(), params: l.params, utc: slices.Contains(allowed, paramSince)}, nil
}

type lexer struct {
	src    string
	d      dialect
	i      int
	out    strings.Builder
	params []string
}

func (l *lexer) peek(off int) byte {
	if l.i+off < len(l.src) {
		return l.src[l.i+off]
	}
	return 0
}

// copyTo copies src[i:end] verbatim and moves on.
func (l *lexer) copyTo(end int) {
	l.out.WriteString(l.src[l.i:end])
	l.i = end
}

func (l *lexer) step(allowed []string) error {
	c := l.peek(0)
	switch {
	case c == '\'':
		l.copyTo(l.quoted('\'', l.backslashes()))
	case c == '"':
		l.copyTo(l.quoted('"', l.d == mysqlDialect))
	case c == '`' && l.d == mysqlDialect:
		l.copyTo(l.quoted('`', false))
	case c == '-' && l.peek(1) == '-' && l.dashComment():
		l.copyTo(l.lineEnd())
	case c == '#' && l.d == mysqlDialect:
		l.copyTo(l.lineEnd())
	case c == '/' && l.peek(1) == '*':
		l.copyTo(l.blockEnd())
	case c == '$' && l.d == postgresDialect:
		return l.dollar()
	case c == '?' && l.d == mysqlDialect:
		return fmt.Errorf("a ? placeholder at offset %d: write @phone, @phone10 or @uid instead", l.i)
	case c == '@':
		return l.param(allowed)
	default:
		l.copyTo(l.i + 1)
	}
	return nil
}

// backslashes reports whether the string literal at i takes backslash
// escapes: always in MySQL, only E'…' in PostgreSQL.
func (l *lexer) backslashes() bool {
	if l.d == mysqlDialect {
		return true
	}
	if l.i == 0 || (l.src[l.i-1] != 'E' && l.src[l.i-1] != 'e') {
		return false
	}
	return l.i == 1 || !isIdent(l.src[l.i-2])
}

// quoted returns the end of the literal opened by q at i; a doubled quote
// stays inside. An unterminated literal runs to the end.
func (l *lexer) quoted(q byte, backslash bool) int {
	for j := l.i + 1; j < len(l.src); j++ {
		switch {
		case backslash && l.src[j] == '\\':
			j++
		case l.src[j] == q && j+1 < len(l.src) && l.src[j+1] == q:
			j++
		case l.src[j] == q:
			return j + 1
		}
	}
	return len(l.src)
}

// dashComment: MySQL wants a blank after "--" for a comment.
func (l *lexer) dashComment() bool {
	if l.d == postgresDialect {
		return true
	}
	c := l.peek(2)
	return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func (l *lexer) lineEnd() int {
	if j := strings.IndexByte(l.src[l.i:], '\n'); j >= 0 {
		return l.i + j
	}
	return len(l.src)
}

// blockEnd finds the end of a /* comment; PostgreSQL nests them.
func (l *lexer) blockEnd() int {
	depth := 0
	for j := l.i; j+1 < len(l.src); j++ {
		switch {
		case l.src[j] == '/' && l.src[j+1] == '*':
			depth++
			j++
		case l.src[j] == '*' && l.src[j+1] == '/':
			depth--
			j++
			if depth == 0 || l.d == mysqlDialect {
				return j + 1
			}
		}
	}
	return len(l.src)
}

// dollar handles PostgreSQL's $tag$ … $tag$ strings and refuses $1.
func (l *lexer) dollar() error {
	if l.i > 0 && isIdent(l.src[l.i-1]) {
		l.copyTo(l.i + 1)
		return nil
	}
	j := l.i + 1
	for j < len(l.src) && isIdent(l.src[j]) && !(j == l.i+1 && isDigit(l.src[j])) {
		j++
	}
	if j == l.i+1 && isDigit(l.peek(1)) {
		return fmt.Errorf("a $%c placeholder at offset %d: write @phone, @phone10 or @uid instead", l.peek(1), l.i)
	}
	if j >= len(l.src) || l.src[j] != '$' {
		l.copyTo(l.i + 1)
		return nil
	}
	tag := l.src[l.i : j+1]
	end := strings.Index(l.src[j+1:], tag)
	if end < 0 {
		l.copyTo(len(l.src))
		return nil
	}
	l.copyTo(j + 1 + end + len(tag))
	return nil
}

// param rewrites @name when it is one of ours.
func (l *lexer) param(allowed []string) error {
	if l.peek(1) == '@' {
		l.copyTo(l.i + 2)
		return nil
	}
	j := l.i + 1
	for j < len(l.src) && isIdent(l.src[j]) {
		j++
	}
	name := l.src[l.i+1 : j]
	if !slices.Contains(knownParams, name) {
		l.copyTo(l.i + 1)
		return nil
	}
	if !slices.Contains(allowed, name) {
		return fmt.Errorf("@%s cannot be used here (this query gets %s)", name, atList(allowed))
	}
	l.out.WriteString(l.placeholder(name))
	l.i = j
	return nil
}

// placeholder gives every use its own placeholder, so PostgreSQL infers
// each one's type from where it stands (@uid = 7 and 'x' || @uid both work).
// @since is typed where it stands: a timestamptz, or a MySQL DATETIME made
// from the UTC text the driver sends, never text read in a server's zone.
func (l *lexer) placeholder(name string) string {
	l.params = append(l.params, name)
	switch {
	case l.d == mysqlDialect && name == paramSince:
		return "CAST(? AS DATETIME(6))"
	case l.d == mysqlDialect:
		return "?"
	case name == paramSince:
		return "$" + strconv.Itoa(len(l.params)) + "::timestamptz"
	}
	return "$" + strconv.Itoa(len(l.params))
}

func atList(names []string) string {
	if len(names) == 0 {
		return "no parameters"
	}
	return "@" + strings.Join(names, ", @")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdent(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80
}
