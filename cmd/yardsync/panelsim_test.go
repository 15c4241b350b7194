package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"yardsync/internal/testnet"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPanelsimCommand(t *testing.T) {
	base, port := testnet.Base(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"yardsync", "panelsim", "--family", "sokol", "--count", "3", "--base", base,
			"--port", strconv.Itoa(port), "--password", "pw", "--keys", "5"}, out, io.Discard)
	}()
	var addrs []string
	for i := 0; len(addrs) < 3; i++ {
		if i > 100 {
			t.Fatalf("panelsim printed %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
		addrs = strings.Fields(out.String())
	}
	for _, addr := range addrs {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/key/store", nil)
		req.SetBasicAuth("admin", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Count(string(body), `"uuid"`) != 5 {
			t.Fatalf("%s: got %d %s, want 5 seeded keys", addr, resp.StatusCode, body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("panelsim stopped with %v", err)
	}
	t.Run("ErrFamily", func(t *testing.T) {
		err := Run(context.Background(), []string{"yardsync", "panelsim", "--family", "aqara"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "aqara") {
			t.Fatalf("got %v, want an error naming the family", err)
		}
	})
}
