package panelsim

import (
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// garbage is what a confused panel or a captive portal might send.
var garbage = []byte("<html><head><title>502</title></head>\n<body>\x00\x17\xfe upstream {confused} [ok\n</body></html>\n")

// misbehave applies latency, hang, reset and error-rate faults; it reports
// whether the request has been dealt with.
func (p *Panel) misbehave(w http.ResponseWriter, r *http.Request, f Faults) bool {
	if f.Latency > 0 && !p.sleep(r, f.Latency) {
		return true
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
		return true
	case f.Reset:
		resetConn(w)
		return true
	case f.ErrorRate > 0 && rand.Float64() < f.ErrorRate:
		http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
		return true
	}
	return false
}

// sleep waits d unless the client goes away or the panel closes.
func (p *Panel) sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-p.done:
	}
	return false
}

// resetConn closes the connection with SO_LINGER 0, so the client reads a
// TCP RST instead of an answer.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
