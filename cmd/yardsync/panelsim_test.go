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
	"yardsync/panels/panelsim"
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

// TestPanelsimFaultFlags runs panelsim with a full key table whose adds are
// acknowledged but not kept.
func TestPanelsimFaultFlags(t *testing.T) {
	base, port := testnet.Base(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"yardsync", "panelsim", "--family", "sokol", "--base", base, "--port", strconv.Itoa(port),
			"--keys", "1", "--capacity", "2", "--unkept", "add", "--latency", "1ms"}, out, io.Discard)
	}()
	var addr string
	for i := 0; addr == ""; i++ {
		if i > 100 {
			t.Fatalf("panelsim printed %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
		addr = strings.TrimSpace(out.String())
	}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.SetBasicAuth("admin", "admin")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	two := `[{"uuid":"0000000000000A","panelCode":1},{"uuid":"0000000000000B","panelCode":1}]`
	if status, _ := do("PUT", "/key/store/merge", two); status != 422 {
		t.Errorf("merge over capacity: got %d, want 422", status)
	}
	if status, _ := do("PUT", "/key/store/merge", `[{"uuid":"0000000000000A","panelCode":1}]`); status != 200 {
		t.Errorf("merge within capacity: got %d, want 200", status)
	}
	if _, body := do("GET", "/key/store", ""); strings.Count(body, `"uuid"`) != 1 {
		t.Errorf("store %s: want only the seeded key (the add was not kept)", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("panelsim stopped with %v", err)
	}
	t.Run("ErrUnkept", func(t *testing.T) {
		err := Run(context.Background(), []string{"yardsync", "panelsim", "--family", "sokol", "--unkept", "adds"}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), `"adds"`) {
			t.Fatalf("got %v, want an error naming the value", err)
		}
	})
}

func TestFirmwareOf(t *testing.T) {
	var f panelsim.Faults
	fw, err := firmwareOf("no-flats, both-tables,loose-codes,body=Success,ext-no-apartment,update,key-mode=1,no-key-settings,merge-keeps-flat", &f)
	want := panelsim.Firmware{BothTables: true, LooseCodes: true, WriteBody: "Success", ExtNoApartment: true, Update: true, KeyMode: 1, NoKeySettings: true, MergeKeepsFlat: true}
	if err != nil || fw != want || !f.HideFlats {
		t.Errorf("got %+v, %+v, %v", fw, f, err)
	}
	if fw, err := firmwareOf("empty-body", &f); err != nil || fw.WriteBody != panelsim.BodyEmpty {
		t.Errorf("empty-body: %+v, %v", fw, err)
	}
	for _, bad := range []string{"flat-less", "key-mode=x", "key-mode=0", "body="} {
		if _, err := firmwareOf(bad, &f); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: got %v, want an error naming it", bad, err)
		}
	}
}
