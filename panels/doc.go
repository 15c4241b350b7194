// Package panels drives intercom panels over HTTP: one client per family
// (Beward DKS, paneltype 1; Sokol / IS ISCom X1, paneltype 2; Qtech, 11;
// Akuvox E12/R20A/S532 over HTTP Digest, 12; Rubetek, 13). docs/panels.md
// says, per family, what is sent, what is tolerated and what is unverified
// on real firmware; testdata/panels holds the answers the parsers are
// checked against.
//
// A Client makes one request at a time per panel address, puts a timeout on
// every request and never retries: the reconciler decides. Every error wraps
// reconcile.ErrTransient or reconcile.ErrPermanent, starts with
// "panels: <family> <ip:port>: " and never carries the panel's password.
//
// Choices the protocol leaves open, and why:
//   - What a client learns about a panel's firmware (Beward key tables,
//     whether it lists flats, whether extrfid_cgi takes Apartment; the Sokol
//     key mode) is remembered per Dialer and panel address (traits.go) and
//     forgotten when a list is refused or garbled.
//   - Beward rebind (a key already on the panel with another flat) is delete
//     then add: no driver shows that add overwrites an existing key. AddKeys
//     checks the tables first (as this client last listed and changed them),
//     skips keys already on the wanted flat and deletes the others from every
//     table holding them. Options.BewardUpdate uses rfid_cgi action=update
//     instead where the read-back can show its effect.
//   - A Beward mifare panel may also serve rfid_cgi, where the AXIOSTV server
//     writes: both are listed, a delete goes to the table holding the key.
//   - extrfid_cgi is never listed; it is written before mifare_cgi and
//     deleted before it, so a key seen in mifare_cgi is on both. Its refusals
//     are tolerated: on add they never keep a key out of the listed table.
//   - Beward writes succeed on a 200 whose body does not say "Request
//     failed", as in the production drivers; the reconciler's read-back is
//     what proves them. Finish sends forcesave when the session wrote.
//   - A Sokol rebind is a delete then a merge: nothing shows a merge
//     overwrites a held uuid's panelCode. ReplaceKeys (clear + one merge) is
//     for the reconciler, where no key it must keep would be lost. Once the
//     clear went out the merge follows, whatever became of the clear and
//     even when the caller's context ended (then under a fresh deadline of
//     one request timeout): a panel it reached is never left emptier.
//   - Key codes read from a panel are returned verbatim; the reconciler
//     compares them normalised and deletes them as listed.
//   - A delete of a key the panel does not hold succeeds, so yardsync can
//     send a blind delete for a key whose add may land late. A Sokol says
//     404; a Beward says "Request failed" as for any refusal, so the client
//     takes it as "absent" only when its session's view (or, if that still
//     holds the key, a fresh list) shows the key is not in that table.
//   - A listed entry the client cannot read (a Beward key whose Apartment is
//     not a number, a Sokol entry with no uuid) is another system's: it is
//     skipped and counted (Client.Skipped), so it never stops the revocation
//     of yardsync's own keys on that panel.
package panels
