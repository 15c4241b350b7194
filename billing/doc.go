// Package billing reads the provider's billing, never writes it: the uids of
// a phone, the intercom service state of a contract, the contract list of a
// phone, and the snapshot of every contract the reconciler works from.
//
// The SQL sources (PostgreSQL through pgx, MySQL and MariaDB through
// go-sql-driver/mysql) run operator-written queries with the named
// parameters @phone, @phone10 and @uid, each in a read-only transaction with
// a deadline, on a small pool. The file source reads contracts from YAML.
// Cached puts an LRU with a TTL in front of a Client.
package billing
