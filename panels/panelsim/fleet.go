package panelsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Fleet is a set of emulated panels, one per consecutive IP address, all on
// the same port (Linux routes all of 127.0.0.0/8 to lo, so 127.0.1.N works).
type Fleet struct {
	panels  []*Panel
	servers []*http.Server
	addrs   []string
	stop    func() bool
	once    sync.Once
	wg      sync.WaitGroup
}

// StartFleet listens on count consecutive addresses from baseIP, each on port
// (0 picks a free port per panel), and serves until Close or until ctx ends.
// Each panel gets opts, with DeviceID suffixed by its address when set.
func StartFleet(ctx context.Context, family string, count int, baseIP string, port int, opts Options) (*Fleet, error) {
	if err := CheckFamily(family); err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(baseIP)
	if err != nil || count < 1 || port < 0 || port > 65535 {
		return nil, fmt.Errorf("panelsim: fleet of %d at %q port %d: want count >= 1, an IP and a port", count, baseIP, port)
	}
	f := &Fleet{}
	for i := 0; i < count; i++ {
		if !ip.IsValid() {
			f.Close()
			return nil, fmt.Errorf("panelsim: fleet of %d from %s runs out of addresses", count, baseIP)
		}
		if err := f.listen(netip.AddrPortFrom(ip, uint16(port)), family, opts); err != nil {
			f.Close()
			return nil, err
		}
		ip = ip.Next()
	}
	f.stop = context.AfterFunc(ctx, f.Close)
	return f, nil
}

func (f *Fleet) listen(ap netip.AddrPort, family string, opts Options) error {
	ln, err := net.Listen("tcp", ap.String())
	if err != nil {
		return fmt.Errorf("panelsim: %w", err)
	}
	addr := ln.Addr().String()
	if opts.DeviceID == "" {
		opts.DeviceID = "sim-" + family + "-" + ap.Addr().String()
	}
	p := New(family, opts)
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	f.panels, f.servers, f.addrs = append(f.panels, p), append(f.servers, srv), append(f.addrs, addr)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	return nil
}

// Addrs returns each panel's ip:port, in order.
func (f *Fleet) Addrs() []string { return append([]string(nil), f.addrs...) }

// Panel returns the i-th panel, to read or seed its keys and switch faults.
func (f *Fleet) Panel(i int) *Panel { return f.panels[i] }

// SetHook installs the same request hook on every panel (see Panel.SetHook).
func (f *Fleet) SetHook(h Hook) {
	for _, p := range f.panels {
		p.SetHook(h)
	}
}

// Len is the number of panels.
func (f *Fleet) Len() int { return len(f.panels) }

// Close stops every panel and waits for the listeners to finish; it is safe
// to call more than once.
func (f *Fleet) Close() {
	f.once.Do(func() {
		if f.stop != nil {
			f.stop()
		}
		for i, srv := range f.servers {
			f.panels[i].Close()
			_ = srv.Close()
		}
		f.wg.Wait()
	})
}

// Port returns the port of an ip:port address, or 0.
func Port(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}
