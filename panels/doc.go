// Package panels drives intercom panels over HTTP: one client per family
// (Beward DKS, paneltype 1; Sokol / IS ISCom X1, paneltype 2), speaking the
// subset of shared/reference/panels.md that yardsync v1 needs.
//
// A Client makes one request at a time per panel address, puts a timeout on
// every request and never retries: the reconciler decides. Every error wraps
// reconcile.ErrTransient or reconcile.ErrPermanent, starts with
// "panels: <family> <ip:port>: " and never carries the panel's password.
//
// Choices the protocol leaves open, and why:
//   - Beward rebind (a key already on the panel with another flat) is delete
//     then add: no driver shows that add overwrites an existing key, so
//     AddKeys checks the key list first (as this client last listed and
//     changed it, or read afresh when it has not listed the panel or a write
//     failed), skips keys already bound to the wanted flat (idempotent) and
//     deletes before re-adding the others.
//   - The Beward key-table variant is probed once per Dialer and panel
//     address, and probed again after the panel refuses or garbles a list.
//   - Beward mifare panels keep a second, never listed, external-reader table.
//     A key is added to extrfid_cgi before mifare_cgi and deleted from
//     extrfid_cgi before mifare_cgi, so a key seen in the listed table is on
//     both and a half-done delete leaves it listed (the next run finishes it).
//     Since that table is never read, a "Request failed" from it is taken as
//     "already there" on add (delete it, add once more) and "not there" on
//     delete; the listed table's answer is always judged strictly.
//   - Beward writes succeed only on a 200 answer whose body is "OK"; Finish
//     sends config_cgi forcesave only when the session wrote something.
//   - Key codes read from a panel are returned verbatim, never normalised, so
//     a malformed code shows up in the diff and gets replaced.
package panels
