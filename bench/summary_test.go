package bench_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestBenchmarksSummary holds BENCHMARKS.md's summary table to the raw
// results it cites: every number of a row's "measured" cell is, in order,
// the value of the reference of its "raw result" cell, read from
// bench/results/ and rounded as the cell writes it.
//
// A raw result cell is `FILE: REF, REF, ...`. FILE is under bench/results/
// and may be a glob; a REF is `[AGG] [BENCH] METRIC[/DIV]`: BENCH the
// benchmark without its Benchmark prefix and -N suffix (kept from the REF
// before when left out), a trailing / making it a prefix; AGG (median, max,
// sum, count) folds the values of several lines; DIV divides (ms to s).
func TestBenchmarksSummary(t *testing.T) {
	rows := summaryRows(t, "../BENCHMARKS.md")
	if len(rows) < 8 {
		t.Fatalf("BENCHMARKS.md's summary has %d rows with a raw result, want the 8 or more an operator asks for", len(rows))
	}
	for _, r := range rows {
		t.Run(r.what, func(t *testing.T) {
			file, refs, ok := strings.Cut(r.raw, ": ")
			if !ok {
				t.Fatalf("raw result %q: want FILE: REF, ...", r.raw)
			}
			lines := resultLines(t, strings.Trim(file, "`"))
			nums := numberRE.FindAllString(r.measured, -1)
			parts := strings.Split(refs, ", ")
			if len(nums) != len(parts) {
				t.Fatalf("measured %q has %d numbers, raw result %d references", r.measured, len(nums), len(parts))
			}
			bench := ""
			for i, ref := range parts {
				var v float64
				v, bench = resolve(t, lines, strings.Trim(ref, "`"), bench)
				want := strings.ReplaceAll(nums[i], ",", "")
				decimals := 0
				if _, frac, ok := strings.Cut(want, "."); ok {
					decimals = len(frac)
				}
				if got := strconv.FormatFloat(v, 'f', decimals, 64); got != want {
					t.Errorf("%s: the raw result is %s (%v), the summary says %s", ref, got, v, nums[i])
				}
			}
		})
	}
}

// numberRE matches a number as the docs write one: 1,004 or 27.84.
var numberRE = regexp.MustCompile(`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`)

type summaryRow struct{ what, measured, raw string }

// summaryRows reads the table under "## Summary" whose header has the
// columns "measured" and "raw result".
func summaryRows(t *testing.T, path string) []summaryRow {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Summary\n")
	if !ok {
		t.Fatal("BENCHMARKS.md has no ## Summary")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []summaryRow
	col := map[string]int{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(col) == 0 {
			for i, c := range cells {
				col[c] = i
			}
			continue
		}
		if len(cells) != len(col) {
			t.Fatalf("summary row %q: %d cells, the header has %d", line, len(cells), len(col))
		}
		rows = append(rows, summaryRow{cells[col["what"]], cells[col["measured"]], cells[col["raw result"]]})
	}
	return rows
}

// resultLine is one benchmark line: its name without Benchmark and -N, and
// its metrics by unit.
type resultLine struct {
	name    string
	metrics map[string]float64
}

var benchLineRE = regexp.MustCompile(`^Benchmark(\S+?)-\d+\s+\d+\s+\d+ ns/op\s+(.*)$`)

// resultLines reads the benchmark lines of the files glob names.
func resultLines(t *testing.T, glob string) []resultLine {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("results", glob))
	if err != nil || len(files) == 0 {
		t.Fatalf("bench/results/%s: no such file (%v)", glob, err)
	}
	var out []resultLine
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := benchLineRE.FindStringSubmatch(strings.TrimSpace(sc.Text()))
			if m == nil {
				continue
			}
			fields := strings.Fields(m[2])
			line := resultLine{name: m[1], metrics: map[string]float64{}}
			for i := 0; i+1 < len(fields); i += 2 {
				v, err := strconv.ParseFloat(fields[i], 64)
				if err == nil {
					line.metrics[fields[i+1]] = v
				}
			}
			out = append(out, line)
		}
		f.Close()
	}
	return out
}

// resolve computes one reference; bench is the previous reference's
// benchmark, used when ref names none. It returns the value and the
// benchmark.
func resolve(t *testing.T, lines []resultLine, ref, bench string) (float64, string) {
	t.Helper()
	fields := strings.Fields(ref)
	agg := ""
	if len(fields) > 1 && slices.Contains([]string{"median", "max", "sum", "count"}, fields[0]) {
		agg, fields = fields[0], fields[1:]
	}
	switch len(fields) {
	case 1:
	case 2:
		bench, fields = fields[0], fields[1:]
	default:
		t.Fatalf("reference %q: want [AGG] [BENCH] METRIC[/DIV]", ref)
	}
	metric, div := fields[0], 1.0
	if i := strings.LastIndex(metric, "/"); i >= 0 {
		if n, err := strconv.ParseFloat(metric[i+1:], 64); err == nil { // else a unit such as req/panel
			metric, div = metric[:i], n
		}
	}
	var vals []float64
	for _, l := range lines {
		match := l.name == bench || strings.HasSuffix(bench, "/") && strings.HasPrefix(l.name, bench)
		if v, ok := l.metrics[metric]; match && ok {
			vals = append(vals, v/div)
		}
	}
	if len(vals) == 0 {
		t.Fatalf("reference %q: no %s line with %s", ref, bench, metric)
	}
	v, err := fold(agg, vals)
	if err != nil {
		t.Fatalf("reference %q: %v", ref, err)
	}
	return v, bench
}

// fold reduces vals by agg; without agg there must be one value.
func fold(agg string, vals []float64) (float64, error) {
	slices.Sort(vals)
	switch agg {
	case "":
		if len(vals) != 1 {
			return 0, fmt.Errorf("%d values: name an aggregate", len(vals))
		}
		return vals[0], nil
	case "median":
		n := len(vals)
		return (vals[(n-1)/2] + vals[n/2]) / 2, nil
	case "max":
		return vals[len(vals)-1], nil
	case "count":
		return float64(len(vals)), nil
	}
	sum := 0.0
	for _, v := range vals {
		sum += v
	}
	return math.Round(sum*1e9) / 1e9, nil
}
