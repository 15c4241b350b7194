package store_test

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"yardsync/store"
	"yardsync/store/storetest"
)

func tokenHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func TestTokens(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpenDB(t)
	alice := store.TokenOwner{Username: "alice", Cred: "c1"}
	t.Run("OK", func(t *testing.T) {
		exp, err := db.SaveToken(ctx, tokenHash("t1"), alice, time.Hour, 5)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(exp); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("expires in %s, want about an hour", d)
		}
		got, ok, err := db.FindToken(ctx, tokenHash("t1"))
		if err != nil || !ok || got != alice {
			t.Fatalf("got %+v %v %v, want %+v", got, ok, err, alice)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if _, ok, err := db.FindToken(ctx, tokenHash("never issued")); ok || err != nil {
			t.Fatalf("got ok=%v err=%v, want not found", ok, err)
		}
	})
	t.Run("ExpiredIgnoredAndPruned", func(t *testing.T) {
		bob := store.TokenOwner{Username: "bob", Cred: "c"}
		if _, err := db.SaveToken(ctx, tokenHash("short"), bob, time.Millisecond, 5); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, ok, err := db.FindToken(ctx, tokenHash("short"))
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a token past its ttl is still found")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := db.SaveToken(ctx, tokenHash("later"), bob, time.Hour, 5); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM yardsync_api_tokens WHERE token_hash = $1`, tokenHash("short")).Scan(&n); err != nil || n != 0 {
			t.Fatalf("expired token rows: %d (%v), want it pruned", n, err)
		}
	})
	t.Run("KeepsNewestPerUser", func(t *testing.T) {
		carol := store.TokenOwner{Username: "carol", Cred: "c"}
		for i := range 20 {
			if _, err := db.SaveToken(ctx, tokenHash(fmt.Sprint("carol", i)), carol, time.Hour, 3); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 {
			_, ok, err := db.FindToken(ctx, tokenHash(fmt.Sprint("carol", i)))
			if err != nil {
				t.Fatal(err)
			}
			if want := i >= 17; ok != want {
				t.Errorf("token %d: found %v, want %v (only the newest 3 kept)", i, ok, want)
			}
		}
		if _, ok, _ := db.FindToken(ctx, tokenHash("t1")); !ok {
			t.Error("another user's token went with carol's")
		}
	})
}
