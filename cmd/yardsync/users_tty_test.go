//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/crypto/bcrypt"
)

// openPTY opens a pseudo-terminal: the master end a person's terminal
// would hold, and the terminal end a program reads from.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// waitNoEcho waits until the program has turned the terminal's echo off:
// a prompt shows just before the program does so, and what a person types
// in that moment would be echoed. Typing only then keeps the test about the
// program, not about how fast the test types.
func waitNoEcho(t *testing.T, tty *os.File) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var tio syscall.Termios
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
			t.Fatal(e)
		}
		if tio.Lflag&syscall.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminal's echo never went off")
		}
		time.Sleep(time.Millisecond)
	}
}

// screen gathers what the terminal shows, as a person would read it.
type screen struct {
	buf  bytes.Buffer
	seen chan string
}

func watch(master *os.File) *screen {
	s := &screen{seen: make(chan string, 64)}
	go func() {
		b := make([]byte, 256)
		for {
			n, err := master.Read(b)
			if n > 0 {
				s.seen <- string(b[:n])
			}
			if err != nil {
				close(s.seen)
				return
			}
		}
	}()
	return s
}

// waitFor reads the screen until it shows want.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(s.buf.String(), want) {
		select {
		case chunk, ok := <-s.seen:
			if !ok {
				t.Fatalf("terminal closed before %q; it showed %q", want, s.buf.String())
			}
			s.buf.WriteString(chunk)
		case <-deadline:
			t.Fatalf("no %q on the terminal; it showed %q", want, s.buf.String())
		}
	}
}

// TestHashPasswordTerminal: on a terminal, hash-password asks twice without
// echoing what is typed, and refuses two different answers.
func TestHashPasswordTerminal(t *testing.T) {
	for name, second := range map[string]string{"OK": "s3cret-пароль", "ErrDiffer": "s3cret-typo"} {
		t.Run(name, func(t *testing.T) {
			master, tty := openPTY(t)
			s := watch(master)
			saved := os.Stdin
			os.Stdin = tty
			defer func() { os.Stdin = saved }()
			var out, errOut bytes.Buffer
			done := make(chan error, 1)
			go func() {
				done <- Run(context.Background(), []string{"yardsync", "hash-password", "--cost", "4"}, &out, &errOut)
			}()
			s.waitFor(t, "Password: ")
			waitNoEcho(t, tty)
			if _, err := master.WriteString("s3cret-пароль\r"); err != nil {
				t.Fatal(err)
			}
			s.waitFor(t, "again: ")
			waitNoEcho(t, tty)
			if _, err := master.WriteString(second + "\r"); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("hash-password did not return")
			}
			if strings.Contains(s.buf.String(), "s3cret") {
				t.Fatalf("the terminal echoed the password: %q", s.buf.String())
			}
			if name == "ErrDiffer" {
				if err == nil || !strings.Contains(err.Error(), "differ") || out.Len() != 0 {
					t.Fatalf("got %q, %v: want no hash and an error saying the two differ", out.String(), err)
				}
				return
			}
			if err != nil || bcrypt.CompareHashAndPassword(bytes.TrimSpace(out.Bytes()), []byte("s3cret-пароль")) != nil {
				t.Fatalf("got %q, %v: want the hash of the password typed", out.String(), err)
			}
		})
	}
}
