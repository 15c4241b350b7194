package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Session is a status-page login as the store keeps it.
type Session struct {
	Username string
	Cred     string // fingerprint of the user's password hash and role at login
	CSRF     string // the token every form of the session carries
	Expires  time.Time
}

// SaveSession records a status-page login by the hash of its id, valid for
// ttl from now by the store's clock (so every instance agrees), and drops
// the expired ones in the same statement's transaction. It returns when the
// session expires; s.Expires is not read.
func (db *DB) SaveSession(ctx context.Context, hash []byte, s Session, ttl time.Duration) (time.Time, error) {
	var expires time.Time
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		insert := `INSERT INTO yardsync_ui_sessions (id_hash, username, cred, csrf, expires_at)
			VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5))
			RETURNING expires_at`
		if err := tx.QueryRow(ctx, insert, hash, s.Username, s.Cred, s.CSRF, ttl.Seconds()).Scan(&expires); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM yardsync_ui_sessions WHERE expires_at <= clock_timestamp()`)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: save session: %w", err)
	}
	return expires, nil
}

// FindSession returns an unexpired login; ok is false for an id the store
// does not know or that has expired.
func (db *DB) FindSession(ctx context.Context, hash []byte) (s Session, ok bool, err error) {
	query := `SELECT username, cred, csrf, expires_at FROM yardsync_ui_sessions WHERE id_hash = $1 AND expires_at > clock_timestamp()`
	err = db.pool.QueryRow(ctx, query, hash).Scan(&s.Username, &s.Cred, &s.CSRF, &s.Expires)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Session{}, false, nil
	case err != nil:
		return Session{}, false, fmt.Errorf("store: find session: %w", err)
	}
	return s, true, nil
}

// DeleteSession ends a login (logout).
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM yardsync_ui_sessions WHERE id_hash = $1`, hash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
