// Package reconcile is yardsync's domain: the types every adapter speaks, the
// small interfaces it consumes, and the reconcile loop.
//
// A run observes (billing snapshot, store, keys read from each panel),
// calculates a Plan with a pure function, and applies it to panels and the
// store only when the plan has changes. The guard (guard.go) is decided from
// the billing and the recorded access states before any panel is read, so
// each panel is planned and written as soon as it is read.
//
// # Panel leases
//
// Two runs never talk to one panel at once, across instances, even when a
// run's store connection is lost. One advisory lock per run cannot promise
// that (it dies with its store session, and it made a revocation wait for a
// full run's slow panel), so panel sessions are serialised per panel by a
// lease row per panel (store/lease.go). The protocol, in full:
//
//   - Taking. A lease is taken only when free or expired by the database
//     clock (Leaser.AcquireLeases): one judge of expiry. Leases are taken a
//     batch ahead of the workers (leases.each), so a run holds no panel it
//     is not about to work on; a run waits for a busy panel at most
//     max(LockWait, lease ttl), then names who holds it.
//   - Trust. The holder trusts a lease only until the local monotonic time
//     the acquiring or renewing statement was sent, plus the ttl, minus a
//     margin of one panel request (PanelTimeout). The database's expiry is
//     later than that, whatever the store or the network did meanwhile.
//     Renewal runs every (ttl - margin) / 3 and also keeps the run's
//     heartbeat; a full run checks its run lock first and, once it is
//     lost, trusts nothing more.
//   - Calls. Every panel request goes through leasedPanel: no trust, no
//     request; a call in flight is cancelled when trust runs out or the run
//     lock is lost, so a multi-request call stops before its next request.
//   - Requests yardsync gave up on. A request sent and left unanswered (a
//     timeout, a lost answer: ErrUnanswered) may still be worked on by the
//     panel. For one more margin the run sends that panel nothing (its
//     retry waits), and a release keeps the lease row taken that long
//     (Leaser.ReleaseLeases with a hold), so no other run or instance talks
//     to the panel meanwhile.
//   - Sessions. A run reads a panel under its lease; if its plan is ready
//     it writes the panel under the same lease (taken again "to write",
//     which bumps the row's write counter), else it releases it and takes
//     it again to write later. A writer that finds the counter moved by
//     more than its own bump since it read the panel reads and plans it
//     again, and leaves the codes of runs that started after it (and were
//     not held by the guard) as they are; a panel a newer full run wrote is
//     left to it (errYielded).
//   - Release and close. Releases are batched (releaseEvery) into one
//     statement; close stops renewing and frees everything the run took.
//     close takes the statement mutex first, so a batched release already
//     under way ends before close returns, and one not yet started writes
//     nothing: no lease statement of a run is sent after its Run returns.
//   - Locks. leases has two mutexes: stmt serialises the acquire, renew and
//     release statements (so a renewal's answer is complete and a re-taken
//     panel is never freed by an earlier release); mu guards the maps. The
//     order is always stmt, then mu; mu is never held across a statement.
//
// Per-panel advisory locks would die with their session like the run lock
// did, and fencing tokens need the panel's cooperation, which intercoms do
// not offer: time-bounded trust is the fence that needs nothing from the
// panel.
package reconcile
