package api

import "context"

// Store is what the /bill/api calls need of the store, one small interface
// per group of calls, and Ping for /readyz; *store.DB satisfies it with
// fixed SQL in each method.
type Store interface {
	deviceStore
	doorStore
	rightStore
	keyStore
	addressStore
	journalStore
	Ping(ctx context.Context) error
}
