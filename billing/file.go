package billing

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"yardsync/reconcile"
)

// fileContract is one contract of the file source: the snapshot fields,
// its phones and its billingList row.
type fileContract struct {
	UID      int64    `yaml:"uid"`
	Phones   []string `yaml:"phones"` // each may hold several numbers split by , ; /
	Flat     string   `yaml:"flat"`
	CamsOpen bool     `yaml:"cams_open"`
	CamsPaid bool     `yaml:"cams_paid"`

	Login        string  `yaml:"login"`
	Address      string  `yaml:"address"`
	Internet     float64 `yaml:"internet"`
	InternetData string  `yaml:"internetdata"`
	TV           float64 `yaml:"tv"`
	TVData       string  `yaml:"tvdata"`
	Phone        float64 `yaml:"phone"`
	PhoneData    string  `yaml:"phonedata"`
	Cams         float64 `yaml:"cams"`
	CamsData     string  `yaml:"camsdata"`
	CamsName     string  `yaml:"camsname"`
	Balans       float64 `yaml:"balans"`
	Payment      float64 `yaml:"payment"`
	Invoice      bool    `yaml:"invoice"`
	Detail       bool    `yaml:"detail"`
	Receipt      bool    `yaml:"receipt"`
}

// fileData is the file's contracts, indexed.
type fileData struct {
	contracts []fileContract          // in file order
	byUID     map[int64]*fileContract //
	byPhone   map[string][]int64      // normalised phone -> uids, ascending
}

// fileSource reads contracts from a YAML file and reloads it when it changes,
// so an operator (or the demo) can edit it while yardsync runs.
type fileSource struct {
	path   string
	prefix string
	mu     sync.Mutex
	mtime  time.Time
	size   int64
	data   *fileData
}

func openFile(cfg Config) (source, error) {
	f := &fileSource{path: cfg.Path, prefix: cfg.PhonePrefix}
	if _, err := f.load(); err != nil {
		return nil, reconcile.Errorf(reconcile.ErrUnavailable, "%w", err)
	}
	return f, nil
}

func (f *fileSource) close() {}

// ping reads the file (again, if it changed) and counts its contracts.
func (f *fileSource) ping(context.Context) (string, error) {
	d, err := f.load()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s read, %d contracts", f.path, len(d.contracts)), nil
}

// load returns the file's data, read again when its size or mtime changed.
func (f *fileSource) load() (*fileData, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := os.Stat(f.path)
	if err != nil {
		return nil, fmt.Errorf("billing: file: %w", err)
	}
	if f.data != nil && st.ModTime().Equal(f.mtime) && st.Size() == f.size {
		return f.data, nil
	}
	data, err := f.parse()
	if err != nil {
		return nil, fmt.Errorf("billing: file %s: %w", f.path, err)
	}
	f.data, f.mtime, f.size = data, st.ModTime(), st.Size()
	return data, nil
}

func (f *fileSource) parse() (*fileData, error) {
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Contracts []fileContract `yaml:"contracts"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return f.index(doc.Contracts)
}

func (f *fileSource) index(list []fileContract) (*fileData, error) {
	d := &fileData{contracts: list, byUID: map[int64]*fileContract{}, byPhone: map[string][]int64{}}
	for i := range list {
		c := &list[i]
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("contract %d (uid %d): %w", i+1, c.UID, err)
		}
		if _, dup := d.byUID[c.UID]; dup {
			return nil, fmt.Errorf("uid %d appears twice", c.UID)
		}
		d.byUID[c.UID] = c
		phones, err := splitPhones(c.Phones, f.prefix)
		if err != nil {
			return nil, fmt.Errorf("contract uid %d: %w", c.UID, err)
		}
		for _, p := range phones {
			if !slices.Contains(d.byPhone[p], c.UID) {
				d.byPhone[p] = append(d.byPhone[p], c.UID)
			}
		}
	}
	for _, uids := range d.byPhone {
		slices.Sort(uids)
	}
	return d, nil
}

// check validates a contract and brings its dates to YYYY-MM-DD or ”.
func (c *fileContract) check() error {
	if c.UID <= 0 {
		return fmt.Errorf("uid must be a positive number")
	}
	for _, d := range []*string{&c.InternetData, &c.TVData, &c.PhoneData, &c.CamsData} {
		v, err := textDate(*d)
		if err != nil {
			return err
		}
		*d = v
	}
	return nil
}

// splitPhones normalises every number of a contract; one entry may hold
// several, separated by commas, semicolons or slashes, as billings store them.
func splitPhones(entries []string, prefix string) ([]string, error) {
	var out []string
	for _, e := range entries {
		for _, p := range strings.FieldsFunc(e, func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == '\n' }) {
			n, err := NormalizePhone(p, prefix)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *fileSource) uids(_ context.Context, p phoneArgs) ([]int64, error) {
	d, err := f.load()
	if err != nil {
		return nil, unavailable(QueryUIDs, err)
	}
	return append([]int64{}, d.byPhone[p.phone]...), nil
}

func (f *fileSource) cams(_ context.Context, uid int64) (reconcile.CamsState, bool, error) {
	d, err := f.load()
	if err != nil {
		return reconcile.CamsState{}, false, unavailable(QueryCams, err)
	}
	c, ok := d.byUID[uid]
	if !ok {
		return reconcile.CamsState{}, false, nil
	}
	return reconcile.CamsState{CamsOpen: c.CamsOpen, CamsPaid: c.CamsPaid}, true, nil
}

func (f *fileSource) contract(_ context.Context, uid int64, _ phoneArgs) (reconcile.BillingRow, bool, error) {
	d, err := f.load()
	if err != nil {
		return reconcile.BillingRow{}, false, unavailable(QueryContract, err)
	}
	c, ok := d.byUID[uid]
	if !ok {
		return reconcile.BillingRow{}, false, nil
	}
	return c.row(), true, nil
}

func (c *fileContract) row() reconcile.BillingRow {
	return reconcile.BillingRow{
		Login: c.Login, Address: c.Address,
		Internet: c.Internet, InternetData: c.InternetData,
		TV: c.TV, TVData: c.TVData, Phone: c.Phone, PhoneData: c.PhoneData,
		Cams: c.Cams, CamsData: c.CamsData, CamsName: c.CamsName,
		Balans: c.Balans, Payment: c.Payment,
		Invoice: c.Invoice, Detail: c.Detail, Receipt: c.Receipt,
	}
}

func (f *fileSource) snapshot(context.Context) ([]reconcile.Contract, error) {
	d, err := f.load()
	if err != nil {
		return nil, unavailable(QuerySnapshot, err)
	}
	out := make([]reconcile.Contract, len(d.contracts))
	for i, c := range d.contracts {
		out[i] = reconcile.Contract{UID: c.UID, Flat: c.Flat, CamsOpen: c.CamsOpen, CamsPaid: c.CamsPaid}
	}
	return out, nil
}
