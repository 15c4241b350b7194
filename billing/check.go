package billing

import (
	"context"
	"errors"
	"fmt"

	"yardsync/reconcile"
)

// Probe is the outcome of running one configured query once.
type Probe struct {
	Query  string `json:"query"`          // uids, cams, contract, snapshot or snapshot_one (narrowed by uid)
	Status string `json:"status"`         // ok, skipped (not configured), warning (worth a look, no problem) or error
	Detail string `json:"detail"`         // what it returned, or the exact problem
	Hint   string `json:"hint,omitempty"` // what to do about the problem, when known
}

// Problem reports whether the probe found something to fix.
func (p Probe) Problem() bool { return p.Status == "error" }

// samplePhone is the phone Check asks about when the operator gives none.
const samplePhone = "9000000000"

// CheckInput is what Check asks the billing about, and what it compares
// the snapshot with.
type CheckInput struct {
	Phone string // sample phone for the uids query; "": a made-up one
	UID   int64  // sample uid for cams and contract; 0: the first the phone or the snapshot gives
	// Paid is how many contracts the runs recorded as paid (0: none or
	// unknown): a snapshot with fewer than half as many active is a warning.
	Paid int
}

// QueryBilling names Check's first probe: the billing answers at all.
const QueryBilling = "billing"

// Check says whether the billing answers a query at all (the billing line),
// then runs each configured query once, with the sample phone and uid when
// given: the uid defaults to the first one the phone or the snapshot
// answers. When the billing does not answer, the queries are not run: each
// would only repeat the billing line's error.
func (c *Client) Check(ctx context.Context, in CheckInput) []Probe {
	head := c.probeBilling(ctx)
	if head.Problem() {
		out := []Probe{head}
		for _, q := range []string{QueryUIDs, QueryCams, QueryContract, QuerySnapshot, querySnapshotOne} {
			out = append(out, Probe{Query: q, Status: "skipped", Detail: "not run: the billing did not answer (see the billing line)"})
		}
		return out
	}
	phone, uid := in.Phone, in.UID
	if phone == "" {
		phone = samplePhone
	}
	uids, pu := c.probeUIDs(ctx, phone)
	snap, ps := c.probeSnapshot(ctx, in.Paid)
	if uid == 0 {
		uid = 1
		if len(snap) > 0 {
			uid = snap[0]
		}
		if len(uids) > 0 {
			uid = uids[0]
		}
	}
	return []Probe{head, pu, c.probeCams(ctx, uid), c.probeContract(ctx, uid), ps, c.probeSnapshotOne(ctx, uid)}
}

// probeBilling runs the source's own query (SELECT version() on SQL, a
// read of the file), so the line says the billing answers, not only which
// driver is configured.
func (c *Client) probeBilling(ctx context.Context) Probe {
	what, err := c.src.ping(ctx)
	if err != nil {
		return Probe{Query: QueryBilling, Status: "error", Detail: "driver " + c.driver + ": " + err.Error()}
	}
	return Probe{Query: QueryBilling, Status: "ok", Detail: "driver " + c.driver + ": " + what}
}

func probe(query string, err error, format string, args ...any) Probe {
	var nc *notConfiguredError
	switch {
	case errors.As(err, &nc):
		return Probe{Query: query, Status: "skipped", Detail: "not configured"}
	case err != nil:
		return Probe{Query: query, Status: "error", Detail: err.Error()}
	}
	return Probe{Query: query, Status: "ok", Detail: fmt.Sprintf(format, args...)}
}

func (c *Client) probeUIDs(ctx context.Context, phone string) ([]int64, Probe) {
	uids, err := c.UIDs(ctx, phone)
	norm, _ := NormalizePhone(phone, c.prefix)
	return uids, probe(QueryUIDs, err, "%d uid(s) for %s: %v", len(uids), norm, uids)
}

func (c *Client) probeSnapshot(ctx context.Context, paid int) ([]int64, Probe) {
	snap, err := c.Snapshot(ctx)
	var uids []int64
	active := 0
	for _, k := range snap {
		uids = append(uids, k.UID)
		if k.Active() {
			active++
		}
	}
	if dups := reconcile.Duplicates(snap); len(dups) > 0 {
		return uids, Probe{Query: QuerySnapshot, Status: "error",
			Detail: fmt.Sprintf("%d contract(s) with several rows, left as they are: %v", len(dups), firstOf(dups, 20))}
	}
	p := probe(QuerySnapshot, err, "%d contracts, %d active", len(snap), active)
	if w := shrunk(active, paid); err == nil && w != "" {
		p.Status, p.Detail = "warning", p.Detail+": "+w
	}
	return uids, p
}

// shrunk says why a snapshot with this many active contracts looks wrong:
// none at all, or fewer than half of the paid contracts the runs recorded.
// A billing that really lost that many is rare; a query gone wrong is not,
// and the guard would hold the run that followed it.
func shrunk(active, paid int) string {
	switch {
	case active == 0:
		return "no active contract (cams_open and cams_paid both true): is the snapshot query right?"
	case active*2 < paid:
		return fmt.Sprintf("fewer than half of the %d contracts the last runs recorded as paid (yardsync_access): is the snapshot query right?", paid)
	}
	return ""
}

// firstOf returns at most n items, for a detail line that stays readable.
func firstOf[T any](list []T, n int) []T {
	if len(list) > n {
		return list[:n]
	}
	return list
}

func (c *Client) probeCams(ctx context.Context, uid int64) Probe {
	if err := checkUID(uid); err != nil {
		return probe(QueryCams, err, "")
	}
	st, found, err := c.src.cams(ctx, uid)
	if !found {
		return probe(QueryCams, err, "uid %d: no row (cams_open false, cams_paid false)", uid)
	}
	return probe(QueryCams, err, "uid %d: cams_open %t, cams_paid %t", uid, st.CamsOpen, st.CamsPaid)
}

func (c *Client) probeContract(ctx context.Context, uid int64) Probe {
	row, found, err := c.Contract(ctx, uid)
	if !found {
		return probe(QueryContract, err, "uid %d: no row (billingList skips it)", uid)
	}
	return probe(QueryContract, err, "uid %d: login %q, balans %.2f", uid, row.Login, row.Balans)
}

// probeSnapshotOne runs the query targeted runs read the billing with, or
// says why they read the whole snapshot.
func (c *Client) probeSnapshotOne(ctx context.Context, uid int64) Probe {
	n, ok := c.src.(narrowing)
	if !ok {
		return Probe{Query: querySnapshotOne, Status: "skipped", Detail: "targeted runs read the whole file"}
	}
	if err := n.narrowed(); err != nil {
		var nc *notConfiguredError
		if errors.As(err, &nc) {
			return probe(querySnapshotOne, err, "")
		}
		return Probe{Query: querySnapshotOne, Status: "skipped", Detail: "targeted runs read the whole snapshot: " + err.Error()}
	}
	if err := checkUID(uid); err != nil {
		return probe(querySnapshotOne, err, "")
	}
	rows, err := n.snapshotOne(ctx, uid)
	return probe(querySnapshotOne, err, "uid %d: %d row(s), the snapshot narrowed by uid", uid, len(rows))
}
