package main

import (
	"regexp"
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
