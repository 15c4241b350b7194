package panelsim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Writes is a set of key-write kinds, named to fit both families.
type Writes uint8

// The kinds of key write.
const (
	WriteAdd    Writes = 1 << iota // Beward action=add; Sokol PUT /key/store/merge
	WriteDelete                    // one key: Beward action=delete&Key; Sokol DELETE /key/store/<uuid>
	WriteClear                     // a whole table: Beward action=clear or delete&Apartment; Sokol DELETE /key/store/clear
	WriteUpdate                    // Beward rfid_cgi action=update (with Firmware.Update)
)

// writeNames are the names ParseWrites reads, in String's order; "merge"
// is add's Sokol name.
var writeNames = []struct {
	name string
	kind Writes
}{{"add", WriteAdd}, {"merge", WriteAdd}, {"delete", WriteDelete}, {"clear", WriteClear}, {"update", WriteUpdate}}

// WriteNames lists the names ParseWrites reads.
func WriteNames() []string {
	out := make([]string, len(writeNames))
	for i, n := range writeNames {
		out[i] = n.name
	}
	return out
}

// ParseWrites reads a comma-separated list of write kinds: add (or merge),
// delete, clear, update. An empty list is no kind.
func ParseWrites(list string) (Writes, error) {
	var w Writes
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := indexName(item)
		if i < 0 {
			return 0, fmt.Errorf("panelsim: write kind %q: want %s", item, strings.Join(WriteNames(), ", "))
		}
		w |= writeNames[i].kind
	}
	return w, nil
}

func indexName(name string) int {
	for i, n := range writeNames {
		if n.name == name {
			return i
		}
	}
	return -1
}

// Has reports whether w holds every kind in k (and k names one).
func (w Writes) Has(k Writes) bool { return k != 0 && w&k == k }

// String names the kinds, comma-separated (add for add/merge).
func (w Writes) String() string {
	var names []string
	for _, n := range writeNames {
		if w.Has(n.kind) && n.name != "merge" {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// writeKind names the key write a request makes, or 0 for any other request:
// a list, a probe, a save, or a write to a table the panel lacks.
func (p *Panel) writeKind(r *http.Request, body []byte) Writes {
	switch p.family {
	case Sokol:
		return sokolWriteKind(r)
	case Qtech:
		return qtechWriteKind(r, body)
	case Rubetek:
		return rubetekWriteKind(r)
	case Akuvox, AkuvoxR20A, AkuvoxS532:
		return akuvoxWriteKind(r, body)
	}
	p.mu.Lock()
	fw := p.opts.Firmware
	p.mu.Unlock()
	cgi := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
	served := cgi == "rfid_cgi" && (p.family == Beward || fw.BothTables) ||
		(cgi == "mifare_cgi" || cgi == "extrfid_cgi") && p.family == BewardMifare
	if r.Method != http.MethodGet || !served {
		return 0
	}
	q := r.URL.Query()
	switch q.Get("action") {
	case "add":
		return WriteAdd
	case "delete":
		if q.Has("Key") {
			return WriteDelete
		}
		return WriteClear
	case "clear":
		return WriteClear
	case "update":
		if fw.Update && cgi == "rfid_cgi" {
			return WriteUpdate
		}
	}
	return 0
}

func sokolWriteKind(r *http.Request) Writes {
	const prefix = "/key/store/"
	switch path := r.URL.Path; {
	case r.Method == http.MethodPut && path == prefix+"merge":
		return WriteAdd
	case r.Method != http.MethodDelete || !strings.HasPrefix(path, prefix) || path == prefix:
		return 0
	case path == prefix+"clear":
		return WriteClear
	}
	return WriteDelete
}

// serveWrite answers a key write under the write faults: WriteDelay, then
// LateApply's queue (an acknowledgement now) or the write itself, then the
// answer or, with LoseAnswer, a reset connection. The panel works on one
// key write at a time, as a small panel does: a write sent while a slow one
// is still being worked on (its client may have given up) waits for it.
func (p *Panel) serveWrite(w http.ResponseWriter, r *http.Request, body []byte, kind Writes, f Faults) {
	p.writing.Lock()
	defer p.writing.Unlock()
	if f.WriteDelay > 0 && !p.pause(f.WriteDelay) {
		return
	}
	lose := f.LoseAnswer.Has(kind)
	out := w
	if lose {
		out = &discard{}
	}
	if p.queue(r, body, f.LateApply) {
		p.ack(out)
	} else {
		p.apply(out, r, body)
	}
	if lose {
		resetConn(w)
	}
}

// lateWrite is a write on LateApply's queue.
type lateWrite struct {
	due  time.Time
	r    *http.Request
	body []byte
}

// queue puts a write on LateApply's queue, due d from now, and reports
// true; with d zero and nothing queued it reports false: apply it now.
func (p *Panel) queue(r *http.Request, body []byte, d time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d <= 0 && len(p.late) == 0 {
		return false
	}
	p.late = append(p.late, lateWrite{due: time.Now().Add(d), r: r.Clone(context.Background()), body: body})
	if !p.draining {
		p.draining = true
		go p.drain()
	}
	return true
}

// drain applies the queue in order, each write when due, until it is empty
// or the panel closes.
func (p *Panel) drain() {
	for {
		p.mu.Lock()
		if len(p.late) == 0 {
			p.draining = false
			p.mu.Unlock()
			return
		}
		next := p.late[0]
		p.mu.Unlock()
		if !p.pause(time.Until(next.due)) {
			return
		}
		p.apply(&discard{}, next.r, next.body)
		p.mu.Lock()
		p.late = p.late[1:]
		p.mu.Unlock()
	}
}

// Pending is the number of key writes acknowledged and not yet applied
// (LateApply).
func (p *Panel) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.late)
}

// apply runs a key write on the tables and counts it for RebootAfter.
func (p *Panel) apply(w http.ResponseWriter, r *http.Request, body []byte) {
	p.serveFamily(w, r, body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes++
	if p.writes == p.faults.RebootAfter {
		clear(p.keys)
		clear(p.ext)
		clear(p.rfid)
		p.users = nil
	}
}

// ack answers a write as done before it is: the family's success answer.
func (p *Panel) ack(w http.ResponseWriter) {
	switch p.family {
	case Sokol:
		w.WriteHeader(http.StatusOK)
		return
	case Qtech:
		qtechAnswer(w, 0, "OK", nil)
		return
	case Rubetek:
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	case Akuvox, AkuvoxR20A, AkuvoxS532:
		akuvoxAnswer(w, 0, "", "OK", nil)
		return
	}
	p.mu.Lock()
	body := p.okBody()
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, body)
}

// pause waits d unless the panel closes; the client going away does not
// stop it.
func (p *Panel) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.done:
		return false
	}
}

// discard is an answer nobody reads: that of a write applied off its
// request (queued, or whose answer is lost).
type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}

func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
