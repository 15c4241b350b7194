// Package bench builds a yardsync world at a chosen scale — a PostgreSQL
// billing, a store of panels, locks, doors, rights and keys, and a panelsim
// fleet — and measures it: the first full sync against its physical limit,
// the no-op run, targeted runs through the API, uids/ throughput and a naive
// baseline; and, on small worlds, how a run fares against each fault panelsim
// injects (the fault matrix). scripts/bench.sh runs it at several scales and
// writes BENCHMARKS.md.
package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"yardsync/panels/panelsim"
	"yardsync/reconcile"
)

// Scale is the size of a generated world.
type Scale struct {
	Panels            int    // intercom panels; a quarter each beward, beward-mifare, and half sokol
	ContractsPerPanel int    // contracts living behind each panel
	KeysPerContract   int    // RFID keys per contract
	Seed              uint64 // PRNG seed of the contract mix
	// Families, when set, are the panelsim families panel i plays in turn
	// (Families[i%len]) instead of the default mix.
	Families []string
	// AllActive makes every contract open, paid and on a usable flat, so
	// each panel wants exactly ContractsPerPanel × KeysPerContract keys.
	AllActive bool
}

// DefaultScale is 50 contracts of 2 keys per panel: ~100 keys per panel,
// 100,000 contracts at 2,000 panels.
func DefaultScale(panels int) Scale {
	return Scale{Panels: panels, ContractsPerPanel: 50, KeysPerContract: 2, Seed: 1}
}

// Contracts is the number of billing contracts.
func (s Scale) Contracts() int { return s.Panels * s.ContractsPerPanel }

// SimPanel is one generated panel: its device and the emulator family playing it.
type SimPanel struct {
	DeviceID int
	Family   string // panelsim family
	IP       netip.Addr
}

// Layout is what Generate wrote, for the harness to start the fleet and pick contracts.
type Layout struct {
	Panels []SimPanel
	Active []int64 // uids of active contracts with a valid flat
}

// familyOf spreads the families over device ids: Scale.Families in turn,
// else half Sokol, a quarter each Beward variant.
func (s Scale) familyOf(i int) string {
	if len(s.Families) > 0 {
		return s.Families[i%len(s.Families)]
	}
	switch i % 4 {
	case 0:
		return panelsim.Beward
	case 2:
		return panelsim.BewardMifare
	}
	return panelsim.Sokol
}

// paneltype is the default devices.paneltype of a panelsim family.
func paneltype(family string) int {
	name, _, _ := strings.Cut(family, "-") // beward-mifare, akuvox-s532: the family, not the model
	f, ok := reconcile.ParseFamily(name)
	if !ok {
		panic("bench: no paneltype for panelsim family " + family)
	}
	return int(f)
}

// Plan assigns device ids and addresses: panel i is device i+1, its lock
// device Panels+i+1, and each family's panels take consecutive addresses
// from bases[family], so one panelsim fleet per family serves them.
func Plan(s Scale, bases map[string]netip.Addr) Layout {
	next := map[string]netip.Addr{}
	for f, ip := range bases {
		next[f] = ip
	}
	var l Layout
	for i := range s.Panels {
		f := s.familyOf(i)
		l.Panels = append(l.Panels, SimPanel{DeviceID: i + 1, Family: f, IP: next[f]})
		next[f] = next[f].Next()
	}
	return l
}

// contract is one generated billing row.
type contract struct {
	uid      int64
	phone    string
	flat     string
	open     bool
	paid     bool
	viaLock  bool
	panelIdx int
}

// contracts generates the billing: ~90% active, ~5% open but unpaid, ~5%
// closed, ~0.5% with a flat no panel can take ("12а"), ~20% reaching their
// panel through a lock and door rather than a right to the panel.
func contracts(s Scale) []contract {
	r := rand.New(rand.NewPCG(s.Seed, 0x79617264))
	out := make([]contract, 0, s.Contracts())
	for i := range s.Contracts() {
		c := contract{uid: int64(i + 1), panelIdx: i / s.ContractsPerPanel, open: true, paid: true}
		c.phone = Phone(c.uid)
		c.flat = strconv.Itoa(i%s.ContractsPerPanel + 1)
		switch x := r.Float64(); {
		case x < 0.05:
			c.open, c.paid = false, false
		case x < 0.10:
			c.paid = false
		}
		if r.Float64() < 0.005 {
			c.flat += "а"
		}
		c.viaLock = r.Float64() < 0.2
		if s.AllActive {
			c.open, c.paid, c.flat = true, true, strconv.Itoa(i%s.ContractsPerPanel+1)
		}
		out = append(out, c)
	}
	return out
}

// keyCode is the j-th key of uid: a bijective scramble of uid*k+j over 56
// bits, so codes look random and never collide.
func keyCode(uid int64, j, perContract int) []byte {
	x := (uint64(uid)*uint64(perContract) + uint64(j)) * 0x9E3779B97F4A7C15 & (1<<56 - 1)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], x)
	return b[1:]
}

// Generate loads the billing table contracts into billingConn's database and
// the SmartYard tables into storeConn's (already migrated), with COPY.
func Generate(ctx context.Context, billingConn, storeConn *pgx.Conn, s Scale, l Layout) (Layout, error) {
	cs := contracts(s)
	if err := loadBilling(ctx, billingConn, cs); err != nil {
		return l, fmt.Errorf("bench: billing: %w", err)
	}
	if err := loadStore(ctx, storeConn, s, l, cs); err != nil {
		return l, fmt.Errorf("bench: store: %w", err)
	}
	for _, c := range cs {
		if _, ok := reconcile.FlatNumber(c.flat); ok && c.open && c.paid {
			l.Active = append(l.Active, c.uid)
		}
	}
	return l, nil
}

// BillingQueries are the operator SQL for the generated billing table.
func BillingQueries() (uids, cams, snapshot string) {
	return `SELECT uid FROM contracts WHERE phone = @phone ORDER BY uid`,
		`SELECT cams_open, cams_paid FROM contracts WHERE uid = @uid`,
		`SELECT uid, flat, cams_open, cams_paid FROM contracts`
}

func loadBilling(ctx context.Context, conn *pgx.Conn, cs []contract) error {
	ddl := `CREATE TABLE contracts (uid int PRIMARY KEY, phone text NOT NULL, flat text, cams_open bool NOT NULL, cams_paid bool NOT NULL)`
	if _, err := conn.Exec(ctx, ddl); err != nil {
		return err
	}
	rows := pgx.CopyFromSlice(len(cs), func(i int) ([]any, error) {
		c := cs[i]
		return []any{int32(c.uid), c.phone, c.flat, c.open, c.paid}, nil
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"contracts"}, []string{"uid", "phone", "flat", "cams_open", "cams_paid"}, rows); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, `CREATE INDEX contracts_phone ON contracts (phone); ANALYZE contracts`)
	return err
}

func loadStore(ctx context.Context, conn *pgx.Conn, s Scale, l Layout, cs []contract) error {
	steps := []func() error{
		func() error { return copyDevices(ctx, conn, s, l) },
		func() error { return copyDoors(ctx, conn, s) },
		func() error { return copyRights(ctx, conn, s, cs) },
		func() error { return copyKeys(ctx, conn, s, cs) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	query := `
		SELECT setval(pg_get_serial_sequence('devices', 'device_id'), (SELECT max(device_id) FROM devices));
		SELECT setval(pg_get_serial_sequence('doors', 'id'), (SELECT max(id) FROM doors));
		ANALYZE devices; ANALYZE doors; ANALYZE rights; ANALYZE keys`
	_, err := conn.Exec(ctx, query)
	return err
}

func uuidOf(id int) pgtype.UUID {
	var u pgtype.UUID
	binary.BigEndian.PutUint64(u.Bytes[8:], uint64(id))
	u.Bytes[6], u.Bytes[8] = 0x40, 0x80 // version 4, RFC 4122 variant
	u.Valid = true
	return u
}

// copyDevices writes every panel (type 1) and its lock (type 3).
func copyDevices(ctx context.Context, conn *pgx.Conn, s Scale, l Layout) error {
	cols := []string{"device_id", "device_uuid", "device_type", "is_active", "title", "paneltype", "panelip", "panellogin", "panelpasswd"}
	rows := pgx.CopyFromSlice(2*s.Panels, func(i int) ([]any, error) {
		if i >= s.Panels {
			p := l.Panels[i-s.Panels]
			id := s.Panels + p.DeviceID
			return []any{int32(id), uuidOf(id), int32(reconcile.TypeLock), true, "lock of panel " + strconv.Itoa(p.DeviceID), nil, nil, nil, nil}, nil
		}
		p := l.Panels[i]
		return []any{int32(p.DeviceID), uuidOf(p.DeviceID), int32(reconcile.TypeCam), true, p.Family + " " + p.IP.String(),
			int32(paneltype(p.Family)), netip.PrefixFrom(p.IP, 32), "admin", "admin"}, nil
	})
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"devices"}, cols, rows)
	return err
}

// copyDoors gives each lock one door seen by its panel.
func copyDoors(ctx context.Context, conn *pgx.Conn, s Scale) error {
	rows := pgx.CopyFromSlice(s.Panels, func(i int) ([]any, error) {
		return []any{int32(i + 1), "http://lock/open", int32(s.Panels + i + 1), int32(i + 1), "entrance", "GET"}, nil
	})
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"doors"}, []string{"id", "open", "device_id", "cam", "icon", "open_trait"}, rows)
	return err
}

// copyRights gives each contract a right to its panel, or to the panel's lock.
func copyRights(ctx context.Context, conn *pgx.Conn, s Scale, cs []contract) error {
	rows := pgx.CopyFromSlice(len(cs), func(i int) ([]any, error) {
		c := cs[i]
		id := int32(c.panelIdx + 1)
		if c.viaLock {
			id += int32(s.Panels)
		}
		return []any{int32(c.uid), []int32{id}}, nil
	})
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"rights"}, []string{"uid", "uid_right"}, rows)
	return err
}

func copyKeys(ctx context.Context, conn *pgx.Conn, s Scale, cs []contract) error {
	k := s.KeysPerContract
	rows := pgx.CopyFromSlice(len(cs)*k, func(i int) ([]any, error) {
		c := cs[i/k]
		return []any{keyCode(c.uid, i%k, k), int32(c.uid), "bench"}, nil
	})
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"keys"}, []string{"key", "uid", "comment"}, rows)
	return err
}

// Phone is the generated phone of a contract.
func Phone(uid int64) string { return fmt.Sprintf("89%09d", uid) }

// ExtraKey is the i-th key code outside every generated contract's keys.
func ExtraKey(i int) string {
	return reconcile.KeyCode(keyCode(1<<40+int64(i), 0, 1))
}
