package billing

import (
	"fmt"
	"strings"

	"yardsync/reconcile"
)

// kind is what a column is converted to.
type kind int

const (
	kindUID kind = iota
	kindText
	kindFloat
	kindDate
	kindBool
)

// column is one column a query must return, matched by name in any order.
type column struct {
	name string
	kind kind
}

var (
	uidsColumns     = []column{{"uid", kindUID}}
	camsColumns     = []column{{"cams_open", kindBool}, {"cams_paid", kindBool}}
	snapshotColumns = []column{{"uid", kindUID}, {"flat", kindText}, {"cams_open", kindBool}, {"cams_paid", kindBool}}
	contractColumns = []column{
		{"login", kindText}, {"address", kindText},
		{"internet", kindFloat}, {"internetdata", kindDate},
		{"tv", kindFloat}, {"tvdata", kindDate},
		{"phone", kindFloat}, {"phonedata", kindDate},
		{"cams", kindFloat}, {"camsdata", kindDate}, {"camsname", kindText},
		{"balans", kindFloat}, {"payment", kindFloat},
		{"invoice", kindBool}, {"detail", kindBool}, {"receipt", kindBool},
	}
)

// rowSink takes a query's result as it streams in, so no query holds its
// whole result twice: the column names first (even for no rows), then each
// row with []byte values already strings. The row's slice may be reused
// for the next row: a sink copies what it keeps.
type rowSink interface {
	columns(cols []string) error
	row(vals []any) error
}

// cursor is what both drivers' rows offer.
type cursor interface {
	Next() bool
	Err() error
}

// feed gives sink the columns cols and then each row of rows, as values
// reads the current one. The columns are judged at the first row, or after
// the end when none came: a statement that fails (a write, a timeout) says
// so at its end, and that error, not its columns, is the one to report.
func feed(rows cursor, cols []string, sink rowSink, values func() ([]any, error)) error {
	judged := false
	for rows.Next() {
		if !judged {
			if err := sink.columns(cols); err != nil {
				return err
			}
			judged = true
		}
		vals, err := values()
		if err != nil {
			return err
		}
		if err := sink.row(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !judged {
		return sink.columns(cols)
	}
	return nil
}

// sinkError marks an error of the sink (a column or value the query got
// wrong), not of the database.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }

// decoder checks the column names against spec and converts every value;
// each row goes to each in spec's order, in a slice reused for the next.
type decoder struct {
	spec []column
	each func(row []any) error
	idx  []int
	buf  []any
	n    int
}

func (d *decoder) columns(cols []string) (err error) {
	if d.idx, err = bind(cols, d.spec); err != nil {
		return sinkError{err}
	}
	d.buf = make([]any, len(d.spec))
	return nil
}

func (d *decoder) row(raw []any) error {
	d.n++
	for i, col := range d.spec {
		v, err := convert(raw[d.idx[i]], col.kind)
		if err != nil {
			return sinkError{fmt.Errorf("row %d, column %s: %w", d.n, col.name, err)}
		}
		d.buf[i] = v
	}
	if err := d.each(d.buf); err != nil {
		return sinkError{err}
	}
	return nil
}

// bind finds each wanted column among the returned ones (case does not
// matter) and refuses a missing, duplicated or unexpected column.
func bind(cols []string, spec []column) ([]int, error) {
	at := make(map[string]int, len(cols))
	for i, c := range cols {
		name := strings.ToLower(strings.TrimSpace(c))
		if _, dup := at[name]; dup {
			return nil, fmt.Errorf("column %s is returned twice", name)
		}
		at[name] = i
	}
	idx := make([]int, len(spec))
	for i, col := range spec {
		j, ok := at[col.name]
		if !ok {
			return nil, fmt.Errorf("missing column %s (the query must return %s)", col.name, names(spec))
		}
		idx[i] = j
		delete(at, col.name)
	}
	for _, c := range cols {
		if _, extra := at[strings.ToLower(strings.TrimSpace(c))]; extra {
			return nil, fmt.Errorf("unexpected column %s (the query must return %s)", c, names(spec))
		}
	}
	return idx, nil
}

func names(spec []column) string {
	s := make([]string, len(spec))
	for i, c := range spec {
		s[i] = c.name
	}
	return strings.Join(s, ", ")
}

func convert(v any, k kind) (any, error) {
	switch k {
	case kindUID:
		return toUID(v)
	case kindFloat:
		return toFloat(v)
	case kindDate:
		return toDate(v)
	case kindBool:
		return toBool(v)
	}
	return toText(v)
}

func camsState(v []any) reconcile.CamsState {
	return reconcile.CamsState{CamsOpen: v[0].(bool), CamsPaid: v[1].(bool)}
}

func snapshotContract(v []any) reconcile.Contract {
	return reconcile.Contract{UID: v[0].(int64), Flat: v[1].(string), CamsOpen: v[2].(bool), CamsPaid: v[3].(bool)}
}

func billingRow(v []any) reconcile.BillingRow {
	return reconcile.BillingRow{
		Login: v[0].(string), Address: v[1].(string),
		Internet: v[2].(float64), InternetData: v[3].(string),
		TV: v[4].(float64), TVData: v[5].(string),
		Phone: v[6].(float64), PhoneData: v[7].(string),
		Cams: v[8].(float64), CamsData: v[9].(string), CamsName: v[10].(string),
		Balans: v[11].(float64), Payment: v[12].(float64),
		Invoice: v[13].(bool), Detail: v[14].(bool), Receipt: v[15].(bool),
	}
}
