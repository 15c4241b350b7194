package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TokenOwner is who a login token was issued to.
type TokenOwner struct {
	Username string
	Cred     string // fingerprint of the password hash the login was checked against
}

// SaveToken records a login token by its hash, valid for ttl from now by the
// store's clock (so every instance agrees). In the same transaction it drops
// expired tokens and all but the newest keep tokens of the user, so the table
// stays small although a client logs in before every call.
func (db *DB) SaveToken(ctx context.Context, hash []byte, owner TokenOwner, ttl time.Duration, keep int) (time.Time, error) {
	var expires time.Time
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		insert := `INSERT INTO yardsync_api_tokens (token_hash, username, cred, expires_at)
			VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4))
			RETURNING expires_at`
		if err := tx.QueryRow(ctx, insert, hash, owner.Username, owner.Cred, ttl.Seconds()).Scan(&expires); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM yardsync_api_tokens WHERE expires_at <= clock_timestamp()`); err != nil {
			return err
		}
		trim := `DELETE FROM yardsync_api_tokens WHERE token_hash IN (
			SELECT token_hash FROM yardsync_api_tokens WHERE username = $1
			ORDER BY created_at DESC, token_hash OFFSET $2)`
		_, err := tx.Exec(ctx, trim, owner.Username, keep)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: save token: %w", err)
	}
	return expires, nil
}

// FindToken returns the owner of an unexpired token; ok is false for a token
// the store does not know or that has expired.
func (db *DB) FindToken(ctx context.Context, hash []byte) (owner TokenOwner, ok bool, err error) {
	query := `SELECT username, cred FROM yardsync_api_tokens WHERE token_hash = $1 AND expires_at > clock_timestamp()`
	err = db.pool.QueryRow(ctx, query, hash).Scan(&owner.Username, &owner.Cred)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return TokenOwner{}, false, nil
	case err != nil:
		return TokenOwner{}, false, fmt.Errorf("store: find token: %w", err)
	}
	return owner, true, nil
}

// TokenCount is how many tokens the store holds, expired ones included.
func (db *DB) TokenCount(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM yardsync_api_tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count tokens: %w", err)
	}
	return n, nil
}

// Revoked counts what RevokeUser ended.
type Revoked struct {
	Tokens   int64 `json:"tokens"`   // auth/ tokens
	Sessions int64 `json:"sessions"` // status page logins
}

// RevokeUser ends every auth/ token and status page session of a user, on
// every instance sharing the store, in one transaction. The user may log in
// again: to keep them out, remove them from api.users too.
func (db *DB) RevokeUser(ctx context.Context, username string) (Revoked, error) {
	var r Revoked
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM yardsync_api_tokens WHERE username = $1`, username)
		if err != nil {
			return err
		}
		r.Tokens = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM yardsync_ui_sessions WHERE username = $1`, username)
		r.Sessions = tag.RowsAffected()
		return err
	})
	if err != nil {
		return Revoked{}, fmt.Errorf("store: revoke %s: %w", username, err)
	}
	return r, nil
}
