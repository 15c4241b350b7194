package store

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"yardsync/reconcile"
)

// Key is one row of SmartYard's keys table.
type Key struct {
	Code    string  // normalised: upper-case hex left-padded to 14 digits
	Stored  string  // the stored bytes in lower-case hex, as the reference server lists them
	Comment *string // as given, or nil
}

// Keys lists a uid's keys as stored, ordered by normalised code.
func (db *DB) Keys(ctx context.Context, uid int64) ([]Key, error) {
	rows, err := db.pool.Query(ctx, `SELECT key, comment FROM keys WHERE uid = $1`, uid)
	if err != nil {
		return nil, fmt.Errorf("store: keys of %d: %w", uid, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Key, error) {
		var raw []byte
		var k Key
		err := row.Scan(&raw, &k.Comment)
		k.Code, k.Stored = reconcile.KeyCode(raw), hex.EncodeToString(raw)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: keys of %d: %w", uid, err)
	}
	sortKeys(list)
	return list, nil
}

// AllKeys returns every key: uid -> normalised codes, each once however many
// forms of it are stored. Keys longer than 7 bytes cannot be a panel key and
// are left out.
func (db *DB) AllKeys(ctx context.Context) (map[int64][]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT uid::int8, key FROM keys WHERE length(key) BETWEEN 1 AND 7 ORDER BY uid, key`)
	out, err := fillKeys(make(map[int64][]string, hint(&db.sizes.keys)), rows, err)
	db.sizes.keys.Store(int64(len(out)))
	return out, err
}

// collectKeys reads (uid, key) rows into uid -> normalised codes, sorted and
// without repeats: "0a1b2c3d4e" and "000a1b2c3d4e" stored for one uid are
// one key on the panels.
func collectKeys(rows pgx.Rows, err error) (map[int64][]string, error) {
	return fillKeys(map[int64][]string{}, rows, err)
}

// fillKeys is collectKeys into out.
func fillKeys(out map[int64][]string, rows pgx.Rows, err error) (map[int64][]string, error) {
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	var uid int64
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&uid, &raw}, func() error {
		out[uid] = append(out[uid], reconcile.KeyCode(raw))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", err)
	}
	for uid, codes := range out {
		slices.Sort(codes)
		out[uid] = slices.Compact(codes)
	}
	return out, nil
}

// AddKey stores a key for a uid as the bytes given: hexKey is 2 to 14 hex
// digits, an even count (the API pads an odd one). Every other stored form of
// the same normalised code for the uid is replaced, so adding a key again
// updates its comment and never makes it two keys.
func (db *DB) AddKey(ctx context.Context, uid int64, hexKey string, comment *string) error {
	b, err := hex.DecodeString(hexKey)
	if err != nil || len(b) < 1 || len(b) > reconcile.KeyLen/2 {
		return reconcile.Errorf(reconcile.ErrInvalid, "key %q: want 1 to 7 bytes in hex", hexKey)
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := deleteKey(ctx, tx, uid, reconcile.KeyCode(b)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO keys (key, uid, comment) VALUES ($1, $2, $3)`, b, uid, comment)
		if err != nil {
			return mapError(err, "add key")
		}
		return nil
	})
}

// DeleteKey removes a uid's key; a key the uid does not have wraps reconcile.ErrNotFound.
func (db *DB) DeleteKey(ctx context.Context, uid int64, code string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		n, err := deleteKey(ctx, tx, uid, code)
		if err != nil {
			return err
		}
		if n == 0 {
			return reconcile.Errorf(reconcile.ErrNotFound, "key %s of uid %d", code, uid)
		}
		return nil
	})
}

// deleteKey removes every stored form of code for uid: keys are stored in 1
// to 7 bytes as whoever wrote them gave them, so each is matched after
// left-padding to 7 bytes.
func deleteKey(ctx context.Context, q querier, uid int64, code string) (int64, error) {
	b, err := reconcile.KeyBytes(code)
	if err != nil {
		return 0, err
	}
	query := `
		DELETE FROM keys WHERE uid = $1 AND length(key) <= 7
		AND decode(lpad(encode(key, 'hex'), 14, '0'), 'hex') = $2`
	tag, err := q.Exec(ctx, query, uid, b)
	if err != nil {
		return 0, fmt.Errorf("store: delete key: %w", err)
	}
	return tag.RowsAffected(), nil
}

func sortKeys(list []Key) {
	slices.SortFunc(list, func(a, b Key) int {
		return cmp.Or(strings.Compare(a.Code, b.Code), strings.Compare(a.Stored, b.Stored))
	})
}

// KeyHolders returns the contracts holding a key, sorted: those whose
// SmartYard keys hold any stored form of the normalised code, and those
// yardsync's records name for it on a panel (a key still there for a
// contract that has lost it).
func (db *DB) KeyHolders(ctx context.Context, code string) ([]int64, error) {
	query := `
		SELECT uid::int8 FROM keys WHERE key = ANY($1::bytea[])
		UNION SELECT uid FROM yardsync_owned_keys WHERE code = $2::character(14)
		ORDER BY 1`
	rows, err := db.pool.Query(ctx, query, storedForms([]string{code}), code)
	if err != nil {
		return nil, fmt.Errorf("store: holders of key %s: %w", code, err)
	}
	uids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: holders of key %s: %w", code, err)
	}
	return uids, nil
}
