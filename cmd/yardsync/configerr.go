package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// typeError matches yaml.v3's complaint about a value of the wrong type.
var typeError = regexp.MustCompile("line (\\d+): cannot unmarshal !!(\\w+)(?: `([^`]*)`)? into (\\S+)")

// nameTypeErrors rewrites yaml.v3's type errors so each names its key, the
// value and what the key wants: "reconcile.panel_timeout: 3 is not a
// duration; write it with a unit, e.g. 10s (line 12)".
func nameTypeErrors(msg string, data []byte) string {
	keys := keysByLine(data)
	return typeError.ReplaceAllStringFunc(msg, func(m string) string {
		sub := typeError.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[1])
		key := keys[line]
		if key == "" {
			key = "line " + sub[1]
		} else {
			key += " (line " + sub[1] + ")"
		}
		given := strconv.Quote(sub[3])
		switch sub[2] {
		case "seq":
			given = "a list"
		case "map":
			given = "a section of keys"
		}
		return key + ": " + given + " is not " + want(sub[4])
	})
}

// want says in words what a Go type of the config wants.
func want(goType string) string {
	switch strings.TrimPrefix(goType, "[]") {
	case "time.Duration":
		return "a duration; write it with a unit, e.g. 10s, 5m or 1h"
	case "int", "int64":
		return "a whole number"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a text value"
	}
	if strings.HasPrefix(goType, "[]") {
		return "a list"
	}
	if goType == "main.APIToken" {
		return "a token: a string, or {token, role}"
	}
	if strings.HasPrefix(goType, "main.") {
		return "a section of keys"
	}
	return "a " + goType
}

// keysByLine maps each line of the YAML to the dotted key whose value
// starts there, e.g. 12 -> "reconcile.panel_timeout".
func keysByLine(data []byte) map[int]string {
	var doc yaml.Node
	out := map[int]string{}
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	walkKeys(doc.Content[0], "", out)
	return out
}

func walkKeys(n *yaml.Node, prefix string, out map[int]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			visit(n.Content[i+1], prefix+n.Content[i].Value, out)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			visit(item, strings.TrimSuffix(prefix, ".")+"["+strconv.Itoa(i)+"]", out)
		}
	}
}

// visit names the line of a value written on one line (a scalar, or a flow
// list or map such as [a, b]); a block section's lines are its children's.
func visit(v *yaml.Node, key string, out map[int]string) {
	if v.Kind == yaml.ScalarNode || v.Style&yaml.FlowStyle != 0 {
		out[v.Line] = key
		return
	}
	walkKeys(v, key+".", out)
}

// syntaxLine matches yaml.v3's syntax errors, which name a line.
var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): `)

// placeSyntaxError rewrites a YAML syntax error caused by indentation to
// name the line of the mistake: yaml.v3 names the start of the block the
// mistake broke ("line 20: did not find expected key" for an extra space on
// line 33). Other errors are returned as yaml.v3 worded them.
func placeSyntaxError(err error, data []byte) string {
	msg := err.Error()
	m := syntaxLine.FindStringSubmatch(msg)
	if m == nil {
		return cleanYAMLError(err)
	}
	from, _ := strconv.Atoi(m[1])
	if line, why := indentMistake(data, from); line > 0 {
		return fmt.Sprintf("line %d: %s", line, why)
	}
	return cleanYAMLError(err)
}

// indentMistake finds the first line at or after line from whose
// indentation YAML cannot nest: deeper than the line above allows, lined up
// with no key above it, or indented with a tab. Of two keys of a section
// that disagree, the one the keys after them do not follow is the mistake.
// It reads only indentation, list dashes, "key:" endings and block texts
// (|, >); 0 when it finds nothing or meets something it does not follow (a
// flow list or a quote over several lines).
func indentMistake(data []byte, from int) (int, string) {
	lines := strings.Split(string(data), "\n")
	levels := []level{{}}  // the open blocks, innermost last
	opens := false         // the line above is a "key:" whose value is below it
	var text *blockText    // the block text (|, >) being read, if any
	var prev, before level // the last two content lines: their indentation, and the last's number
	for i, raw := range lines {
		n := i + 1
		body, ind := indented(raw)
		if text != nil {
			if line, why, done := text.next(n, body, ind); line > 0 && n >= from {
				return line, why
			} else if !done {
				continue
			}
			text = nil
		}
		if strings.HasPrefix(body, "\t") && n >= from {
			return n, "a tab in the indentation: YAML indents with spaces only"
		}
		if body == "" || body[0] == '#' || body == "---" {
			continue
		}
		top := levels[len(levels)-1]
		k := slices.IndexFunc(levels, func(l level) bool { return l.ind == ind })
		switch {
		case opens && (ind > top.ind || ind == top.ind && strings.HasPrefix(body, "-")):
			if ind > top.ind {
				levels = append(levels, level{ind: ind, first: n})
			}
		case k < 0 && n >= from && ind > top.ind && before.ind == ind && prev.ind < ind:
			// "a: 1" / " b: 2" / "  c: 3" read as one line gone astray, not two
			return prev.first, fmt.Sprintf("indented %s, where the keys around it have %s: YAML reads nesting from indentation, so line it up with them",
				spaces(prev.ind), spaces(ind))
		case k < 0 && n >= from:
			return misplaced(levels, lines[i+1:], n, ind)
		case k >= 0:
			levels = levels[:k+1]
		default:
			continue // before the error's line: a plain value going on below its key, say
		}
		levels[len(levels)-1].lines++
		before, prev = prev, level{ind: ind, first: n}
		var ok bool
		var scalar int
		if levels, opens, scalar, ok = nests(body, ind, n, levels); !ok {
			return 0, ""
		}
		if scalar >= 0 {
			text = &blockText{key: scalar}
		}
	}
	return 0, ""
}

// indented splits a line into its indentation (spaces) and the rest.
func indented(raw string) (body string, ind int) {
	raw = strings.TrimRight(raw, "\r")
	body = strings.TrimLeft(raw, " ")
	return body, len(raw) - len(body)
}

// level is one open block: its indentation, its first line and how many
// lines sit at its indentation.
type level struct{ ind, first, lines int }

// blockText follows a block text (key: |): its indentation is its first
// line's, and it ends at a line indented no deeper than its key.
type blockText struct {
	key, ind, first, lines int
}

// next takes one more line: done when the line is not the text's. A line
// between the key's indentation and the text's is a mistake: the text's
// first line when it alone strays from the usual two spaces below its key,
// else this one.
func (b *blockText) next(n int, body string, ind int) (line int, why string, done bool) {
	switch {
	case body == "":
		return 0, "", false
	case ind <= b.key, body[0] == '#' && ind < b.ind:
		return 0, "", true
	case b.lines == 0:
		b.ind, b.first, b.lines = ind, n, 1
		return 0, "", false
	case ind >= b.ind:
		if ind == b.ind {
			b.lines++
		}
		return 0, "", false
	case b.lines == 1 && b.ind != b.key+2 && ind == b.key+2:
		return b.first, fmt.Sprintf("the first line of a block text (|) is indented %s, the lines after it %s: the text takes its indentation from its first line, so line them up",
			spaces(b.ind), spaces(ind)), true
	}
	return n, fmt.Sprintf("indented %s inside a block text (|) whose lines have %s: line it up with them", spaces(ind), spaces(b.ind)), true
}

// misplaced words the mistake of line n, indented ind, which lines up with
// no open block. When the innermost block has only its first key at its
// indentation and the section's keys after line n (rest) follow ind (or,
// with no more keys, ind is the usual two spaces below the section's key
// and the first key's is not), that first key is the mistake instead.
func misplaced(levels []level, rest []string, n, ind int) (int, string) {
	top := levels[len(levels)-1]
	parent := -1
	if len(levels) > 1 {
		parent = levels[len(levels)-2].ind
	}
	if parent >= 0 && top.lines == 1 && ind > parent {
		agree, disagree := 0, 0
		for _, raw := range rest {
			body, i := indented(raw)
			if body == "" || body[0] == '#' {
				continue
			}
			if i <= parent {
				break
			}
			if i == ind {
				agree++
			} else if i == top.ind {
				disagree++
			}
		}
		if agree > disagree || agree == disagree && top.ind != parent+2 && ind == parent+2 {
			return top.first, fmt.Sprintf("indented %s, where the keys after it in its section have %s: YAML reads nesting from indentation, so line them up",
				spaces(top.ind), spaces(ind))
		}
	}
	if ind > top.ind {
		return n, fmt.Sprintf("indented %s, where the keys beside it have %s: YAML reads nesting from indentation, so line it up with them",
			spaces(ind), spaces(top.ind))
	}
	var list []string
	for _, l := range levels {
		list = append(list, strconv.Itoa(l.ind))
	}
	return n, fmt.Sprintf("indented %s, which lines up with no key above it (%s spaces here): YAML reads nesting from indentation, so line it up with the keys beside it",
		spaces(ind), strings.Join(list, ", "))
}

// nests reads what one line opens: the items of its list dashes, a block
// below its "key:", a block scalar after "key: |". ok is false for a value
// that goes on over lines in a way indentMistake does not follow.
func nests(body string, ind, n int, levels []level) (_ []level, opens bool, scalar int, ok bool) {
	for body == "-" || strings.HasPrefix(body, "- ") {
		rest := strings.TrimLeft(body[1:], " ")
		ind += len(body) - len(rest)
		if rest == "" {
			return levels, true, -1, true
		}
		body = rest
		if ind > levels[len(levels)-1].ind {
			levels = append(levels, level{ind: ind, first: n, lines: 1})
		}
	}
	if body[0] == '"' || body[0] == '\'' {
		return levels, false, -1, strings.Count(body, body[:1]) >= 2
	}
	_, value, found := strings.Cut(body, ": ")
	if !found {
		key, found := strings.CutSuffix(strings.TrimSpace(stripComment(body)), ":")
		return levels, found && key != "", -1, true
	}
	value = strings.TrimSpace(stripComment(value))
	switch {
	case value == "":
		return levels, true, -1, true
	case value[0] == '|' || value[0] == '>':
		return levels, false, ind, true
	case value[0] == '"' || value[0] == '\'':
		return levels, false, -1, strings.Count(value, value[:1]) >= 2
	case value[0] == '[' || value[0] == '{':
		return levels, false, -1, strings.Count(value, "[")+strings.Count(value, "{") == strings.Count(value, "]")+strings.Count(value, "}")
	}
	return levels, false, -1, true
}

// stripComment drops a trailing " # comment".
func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		return s[:i]
	}
	return s
}

func spaces(n int) string {
	if n == 1 {
		return "1 space"
	}
	return strconv.Itoa(n) + " spaces"
}
