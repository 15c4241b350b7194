package api

// Store is what the /bill/api calls need of the store, one small interface
// per group of calls; *store.DB satisfies it with fixed SQL in each method.
type Store interface {
	deviceStore
	doorStore
	rightStore
	keyStore
	addressStore
	journalStore
}
