package panelsim_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"yardsync/panels/panelsim"
)

func TestFleet(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		port := freePort(t, "127.0.1.20")
		f, err := panelsim.StartFleet(context.Background(), panelsim.Sokol, 3, "127.0.1.20", port, panelsim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for i, addr := range f.Addrs() {
			if want := fmt.Sprintf("127.0.1.%d:%d", 20+i, port); addr != want {
				t.Errorf("addr %d = %s, want %s", i, addr, want)
			}
			_, body := call(t, "GET", "http://"+addr+"/system/info", "", "")
			if !strings.Contains(body, `"deviceID":"sim-sokol-127.0.1.`) {
				t.Errorf("%s answers %q", addr, body)
			}
		}
		if f.Len() != 3 || f.Panel(2).Family() != panelsim.Sokol {
			t.Errorf("fleet of %d", f.Len())
		}
	})
	t.Run("ContextStops", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		f, err := panelsim.StartFleet(ctx, panelsim.Beward, 2, "127.0.1.30", 0, panelsim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		f.Close() // waits for the close the cancel started
		if _, err := net.Dial("tcp", f.Addrs()[0]); err == nil {
			t.Error("fleet still listening after its context ended")
		}
	})
	t.Run("ErrAddressInUse", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.1.41:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := panelsim.Port(ln.Addr().String())
		if _, err := panelsim.StartFleet(context.Background(), panelsim.Beward, 3, "127.0.1.40", port, panelsim.Options{}); err == nil {
			t.Error("fleet over a taken address: want an error")
		}
	})
	t.Run("ErrFamily", func(t *testing.T) {
		if _, err := panelsim.StartFleet(context.Background(), "aqara", 1, "127.0.1.50", 0, panelsim.Options{}); err == nil {
			t.Error("unknown family: want an error")
		}
	})
}

// freePort finds a port free on ip (and, in practice, on its neighbours).
func freePort(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return panelsim.Port(ln.Addr().String())
}
