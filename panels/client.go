package panels

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"yardsync/reconcile"
)

// DefaultTimeout bounds every request when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxBody bounds an answer read into memory: a full Sokol key store of
// 16,835 keys is about 2 MiB.
const maxBody = 16 << 20

// Options says how to reach panels at devices.panelip (the `panels` config).
type Options struct {
	Port    int           // TCP port; 0 means the scheme's default (80 or 443)
	Scheme  string        // http or https; empty means http
	Timeout time.Duration // per request; 0 means DefaultTimeout
	// Log, when set, gets one debug line per panel request (never a password).
	Log *slog.Logger
	// BewardUpdate rebinds a key on a Beward internal table with one
	// rfid_cgi?action=update&Key&Apartment instead of delete + add
	// (panels.beward_update). Unverified on real firmware: opt-in.
	BewardUpdate bool
	// AkuvoxPause is the pause between two batches of 1,000 users written
	// to an Akuvox S532 (SmartYard-Server waits 1 s: larger or faster
	// uploads may freeze the panel); 0 means DefaultAkuvoxPause.
	AkuvoxPause time.Duration
}

// DefaultAkuvoxPause is Options.AkuvoxPause when it is zero.
const DefaultAkuvoxPause = time.Second

func (o Options) akuvoxPause() time.Duration {
	if o.AkuvoxPause <= 0 {
		return DefaultAkuvoxPause
	}
	return o.AkuvoxPause
}

// Info is what a panel says about itself when pinged.
type Info struct {
	DeviceID string `json:"device_id"`
	Model    string `json:"model"`
}

// Client drives one panel. It implements reconcile.Panel; its methods are
// safe for concurrent use but the panel sees one request at a time.
type Client struct {
	family   string // the family's name, for messages
	addr     string // ip:port, for messages
	base     string // scheme://ip:port
	password string // kept only to scrub it from messages
	http     *resty.Client
	gate     chan struct{} // one request in flight per panel address
	traits   *traitCache   // firmware traits learnt by earlier clients
	update   bool          // Beward rebinds by rfid_cgi action=update (Options.BewardUpdate)
	timeout  time.Duration // per request, as the http.Client has it
	log      *slog.Logger  // debug line per request; nil: none
	drv      driver
	skipped  atomic.Int64 // entries the last listing could not read (Skipped)
	// faltering is set when the last request sent to the panel went
	// unanswered or was answered with a status that says try again: a
	// Sokol rev.5 then lists before it clears (see sokol.storeEntries).
	faltering atomic.Bool
}

var (
	_ reconcile.Panel       = (*Client)(nil)
	_ reconcile.LineSkipper = (*Client)(nil) // panels, check and the status page count skipped lines
)

// driver is one family's protocol on top of the Client's transport.
type driver interface {
	ping(ctx context.Context) (Info, error)
	listKeys(ctx context.Context) ([]reconcile.PanelKey, error)
	addKeys(ctx context.Context, keys []reconcile.PanelKey) error
	deleteKey(ctx context.Context, code string) error
	finish(ctx context.Context) error
}

// New returns a client for the device's family. An unknown family or a bad
// address is an error wrapping reconcile.ErrPermanent.
func New(d reconcile.PanelDevice, opts Options) (*Client, error) {
	return newClient(d, opts, newTransport(), make(chan struct{}, 1), newTraitCache(), nil)
}

// Dialer returns a reconcile.PanelDialer whose clients share one connection
// pool and, per panel address, one request gate, so two clients for the same
// panel still send one request at a time, the Beward key-table variant
// once probed, and an Akuvox's Digest nonce (a session after the first is
// not challenged again).
func Dialer(opts Options) reconcile.PanelDialer {
	tr := newTransport()
	tables := newTraitCache()
	var mu sync.Mutex
	gates := map[string]chan struct{}{}
	digests := map[string]*digest{}
	return func(d reconcile.PanelDevice) (reconcile.Panel, error) {
		mu.Lock()
		g, ok := gates[d.IP]
		if !ok {
			g = make(chan struct{}, 1)
			gates[d.IP] = g
		}
		dg := digests[d.IP]
		if d.Family == reconcile.PanelAkuvox && (dg == nil || dg.login != d.Login || dg.password != d.Password) {
			dg = newDigest(tr, d.Login, d.Password) // new credentials start without a nonce
			digests[d.IP] = dg
		}
		mu.Unlock()
		return newClient(d, opts, tr, g, tables, dg)
	}
}

// newClient builds a client; dg is the Digest state an Akuvox's requests go
// through (nil: a new one).
func newClient(d reconcile.PanelDevice, opts Options, tr http.RoundTripper, gate chan struct{}, tc *traitCache, dg *digest) (*Client, error) {
	scheme, port, err := opts.endpoint()
	c := &Client{family: reconcile.Family(d.Family).String(), addr: net.JoinHostPort(d.IP, strconv.Itoa(port)),
		password: d.Password, gate: gate, traits: tc, update: opts.BewardUpdate, timeout: opts.timeout(), log: opts.Log}
	if err != nil {
		return nil, c.fail(reconcile.ErrPermanent, "", "%v", err)
	}
	if d.IP == "" || net.ParseIP(d.IP) == nil && !validHost(d.IP) {
		return nil, c.fail(reconcile.ErrPermanent, "", "bad panel address %q", d.IP)
	}
	switch d.Family {
	case reconcile.PanelBeward:
		c.drv = &beward{c: c}
	case reconcile.PanelSokol:
		c.drv = &sokol{c: c}
	case reconcile.PanelQtech:
		c.drv = &qtech{c: c}
	case reconcile.PanelRubetek:
		c.drv = &rubetek{c: c}
	case reconcile.PanelAkuvox:
		c.drv = &akuvox{c: c, pause: opts.akuvoxPause()}
	default:
		return nil, c.fail(reconcile.ErrPermanent, "", "unknown panel family %d", d.Family)
	}
	c.base = scheme + "://" + c.addr
	if d.Family == reconcile.PanelAkuvox {
		if dg == nil {
			dg = newDigest(tr, d.Login, d.Password)
		}
		c.http = newResty(dg, c.timeout) // Akuvox firmware takes Digest only
	} else {
		c.http = newResty(tr, c.timeout).SetBasicAuth(d.Login, d.Password)
	}
	return c, nil
}

// validHost accepts a DNS name: letters, digits, dots and dashes.
func validHost(h string) bool {
	for _, r := range h {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (o Options) endpoint() (scheme string, port int, err error) {
	scheme = o.Scheme
	switch scheme {
	case "", "http":
		scheme, port = "http", 80
	case "https":
		port = 443
	default:
		return "", 0, fmt.Errorf("scheme %q: want http or https", o.Scheme)
	}
	if o.Port < 0 || o.Port > 65535 {
		return "", 0, fmt.Errorf("port %d out of range", o.Port)
	}
	if o.Port != 0 {
		port = o.Port
	}
	return scheme, port, nil
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func newTransport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil             // panels sit on the provider's own network
	tr.MaxIdleConnsPerHost = 1 // one request at a time per panel needs one connection
	return onceTransport{tr}
}

// onceKey marks the context of a GET that changes the panel (see sendOnce).
type onceKey struct{}

// sendOnce marks ctx's request as a write sent by GET (Beward's CGI): the
// transport must not send it again by itself.
func sendOnce(ctx context.Context) context.Context { return context.WithValue(ctx, onceKey{}, true) }

// onceTransport keeps net/http from re-sending a write made with GET. The
// transport re-sends a GET whose answer was lost on a reused connection,
// so the panel got the write twice, the second time while it might still
// be working on the first. A body that cannot be replayed (empty, so
// nothing more goes on the wire) makes the request not replayable; the
// caller's retry, which waits out the panel's busy time, decides instead.
type onceTransport struct{ http.RoundTripper }

func (t onceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if once, _ := r.Context().Value(onceKey{}).(bool); once && r.Body == nil {
		r = r.Clone(r.Context())
		r.Body, r.GetBody, r.ContentLength = io.NopCloser(strings.NewReader("")), nil, 0
	}
	return t.RoundTripper.RoundTrip(r)
}

func newResty(tr http.RoundTripper, timeout time.Duration) *resty.Client {
	hc := &http.Client{Transport: tr, Timeout: timeout}
	return resty.NewWithClient(hc).
		SetRedirectPolicy(resty.NoRedirectPolicy()).
		SetRetryCount(0).
		SetResponseBodyLimit(maxBody).
		SetLogger(quietLogger{}).
		SetDisableWarn(true)
}

// quietLogger drops resty's own log lines, which may name the URL.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

var _ resty.Logger = quietLogger{}
