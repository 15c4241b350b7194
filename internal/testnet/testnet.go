// Package testnet finds room on the loopback network for tests that run
// fleets of emulated panels (Linux routes all of 127.0.0.0/8 to lo).
package testnet

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// Base returns the first address of a random loopback /24 and a port that is
// free on it, so parallel tests do not collide.
func Base(tb testing.TB) (string, int) {
	tb.Helper()
	for range 50 {
		base := fmt.Sprintf("127.%d.%d.1", 100+rand.IntN(150), rand.IntN(250))
		ln, err := net.Listen("tcp", base+":0")
		if err != nil {
			continue
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return base, port
	}
	tb.Fatal("testnet: no free loopback address")
	return "", 0
}

// FreeAddr returns a free 127.0.0.1 address for a listener.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
