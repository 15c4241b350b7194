// Package reconcile is yardsync's domain: the types every adapter speaks, the
// small interfaces it consumes, and the reconcile loop.
//
// A run observes (billing snapshot, store, keys read from each panel),
// calculates a Plan with a pure function, and applies it to panels and the
// store only when the plan has changes.
package reconcile
