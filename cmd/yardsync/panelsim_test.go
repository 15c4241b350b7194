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
	"yardsync/panels"
	"yardsync/panels/panelsim"
	"yardsync/reconcile"
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
	fw, err := firmwareOf("no-flats, both-tables,loose-codes,body=Success,ext-no-apartment,update,key-mode=1,no-key-settings,merge-keeps-flat,rev5", &f)
	want := panelsim.Firmware{BothTables: true, LooseCodes: true, WriteBody: "Success", ExtNoApartment: true, Update: true, KeyMode: 1, NoKeySettings: true, MergeKeepsFlat: true, Rev5: true}
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

// startPanelsim runs `yardsync panelsim` with args on a free loopback
// address and returns the one panel's address; the command stops, without
// error, when the test ends.
func startPanelsim(t *testing.T, args ...string) string {
	t.Helper()
	base, port := testnet.Base(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"yardsync", "panelsim", "--base", base, "--port", strconv.Itoa(port)}, args...), out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("panelsim stopped with %v", err)
		}
	})
	for i := 0; ; i++ {
		if addr := strings.TrimSpace(out.String()); addr != "" {
			return addr
		}
		if i > 100 {
			t.Fatalf("panelsim printed %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// panelCall sends one request with admin/admin; err is a transport error.
func panelCall(addr, method, path, body string) (status int, answer string, err error) {
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.SetBasicAuth("admin", "admin")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestPanelsimWriteFaultFlags: --junk, --write-delay, --lose-answer and
// --reboot-after reach a Beward's answers, and --late-apply a Sokol's.
func TestPanelsimWriteFaultFlags(t *testing.T) {
	const k = "0000003375A686"
	t.Run("beward", func(t *testing.T) {
		addr := startPanelsim(t, "--family", "beward", "--keys", "1", "--junk", "1", "--write-delay", "50ms",
			"--lose-answer", "delete", "--reboot-after", "2")
		list := func() string {
			_, body, err := panelCall(addr, "GET", "/cgi-bin/rfid_cgi?action=list", "")
			if err != nil {
				t.Fatal(err)
			}
			return body
		}
		if body := list(); !strings.HasPrefix(body, "KeyValue1=FFFFFFFF000001\r\nApartment1=12a\r\nKeyValue2=") {
			t.Errorf("list %q: want a foreign entry, then the seeded key", body)
		}
		start := time.Now()
		if status, body, err := panelCall(addr, "GET", "/cgi-bin/rfid_cgi?action=add&Key="+k+"&Apartment=3", ""); err != nil || body != "OK\r\n" {
			t.Fatalf("add: %d %q %v", status, body, err)
		}
		if took := time.Since(start); took < 50*time.Millisecond {
			t.Errorf("add answered after %v, want --write-delay 50ms", took)
		}
		if _, _, err := panelCall(addr, "GET", "/cgi-bin/rfid_cgi?action=delete&Key="+k, ""); err == nil {
			t.Error("delete answered: want the answer lost")
		}
		if body := list(); body != "KeyValue1=FFFFFFFF000001\r\nApartment1=12a\r\n" {
			t.Errorf("list %q: want the seeded key gone with the reboot after 2 writes, the foreign entry kept", body)
		}
	})
	t.Run("sokol", func(t *testing.T) {
		addr := startPanelsim(t, "--family", "sokol", "--late-apply", "1s")
		if status, _, err := panelCall(addr, "PUT", "/key/store/merge", `[{"uuid":"`+k+`","panelCode":3}]`); err != nil || status != 200 {
			t.Fatalf("merge: %d %v", status, err)
		}
		if _, body, _ := panelCall(addr, "GET", "/key/store", ""); body != "[]\n" {
			t.Errorf("store %q right after the merge: want it not applied yet", body)
		}
		for i := 0; ; i++ {
			if _, body, _ := panelCall(addr, "GET", "/key/store", ""); strings.Contains(body, k) {
				break
			}
			if i > 250 {
				t.Fatal("the merge never landed")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestPanelsimFlagErrors(t *testing.T) {
	for _, bad := range [][]string{
		{"--late-apply", "-1s"}, {"--write-delay", "-2s"}, {"--latency", "-3ms"},
		{"--reboot-after", "-1"}, {"--junk", "-4"}, {"--keys", "-5"}, {"--capacity", "-6"},
		{"--lose-answer", "add,purge"},
	} {
		err := Run(context.Background(), append([]string{"yardsync", "panelsim", "--family", "sokol"}, bad...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), bad[0]) || !strings.Contains(err.Error(), strings.TrimPrefix(bad[1], "add,")) {
			t.Errorf("%v: got %v, want an error naming the flag and its value", bad, err)
		}
	}
}

// TestPanelsimAkuvox: --family akuvox and akuvox-s532 serve the model each
// names under Digest auth, seeded with --keys, as the driver reads them.
func TestPanelsimAkuvox(t *testing.T) {
	for family, model := range map[string]string{"akuvox": "E12W", "akuvox-r20a": "R20A", "akuvox-s532": "S532"} {
		t.Run(family, func(t *testing.T) {
			addr := startPanelsim(t, "--family", family, "--keys", "3", "--password", "secret", "--junk", "1")
			host, port, _ := strings.Cut(addr, ":")
			p, _ := strconv.Atoi(port)
			c, err := panels.New(reconcile.PanelDevice{ID: 1, Family: reconcile.PanelAkuvox, IP: host, Login: "admin", Password: "secret"},
				panels.Options{Port: p, Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			info, err := c.Ping(ctx)
			if err != nil || info.Model != model {
				t.Fatalf("Ping: got %+v %v, want model %s", info, err, model)
			}
			keys, err := c.ListKeys(ctx)
			if err != nil || len(keys) != 3 || c.Skipped() != 1 {
				t.Errorf("ListKeys: got %v %v, %d skipped; want the 3 seeded keys and 1 foreign entry", keys, err, c.Skipped())
			}
			if status, _, err := panelCall(addr, "GET", "/api/user/get", ""); err != nil || status != http.StatusUnauthorized {
				t.Errorf("Basic auth: got %d %v, want 401 (Digest only)", status, err)
			}
		})
	}
}
