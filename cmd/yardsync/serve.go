package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"time"

	"github.com/urfave/cli/v2"

	"yardsync/api"
	"yardsync/internal/throttle"
	"yardsync/store"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve /bill/api, run the reconcile schedule and the triggers",
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			tuneGC(os.LookupEnv)
			return e.serve(c.Context)
		},
	}
}

// gcPercent is serve's garbage collector target when GOGC is not set. A
// daemon's heap peaks during a full run and idles between runs; at 70
// instead of Go's 100 the peak RSS of a 2,000-panel fleet is ~15% lower
// for a few percent more CPU in a run (BENCHMARKS.md, "Memory").
const gcPercent = 70

// tuneGC sets gcPercent unless the operator set GOGC (or GOMEMLIMIT,
// which the runtime then honours with GOGC's default).
func tuneGC(lookup func(string) (string, bool)) {
	_, gogc := lookup("GOGC")
	_, limit := lookup("GOMEMLIMIT")
	if !gogc && !limit {
		debug.SetGCPercent(gcPercent)
	}
}

// serve runs the daemon until ctx is cancelled, then stops in order. The
// listen address is taken first, so a taken one fails before anything starts.
func (e *env) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.API.Listen)
	if err != nil {
		return fmt.Errorf("api.listen %s: %w", e.cfg.API.Listen, err)
	}
	defer ln.Close() // already closed once Serve ran; this covers the failures before
	db, err := e.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	opts := e.apiOptions(db)
	d, err := e.wire(ctx, db, &opts)
	if err != nil {
		db.Close()
		return err
	}
	d.http = api.ServerOptions{LongWrite: syncWrite(e.cfg.API.SyncWait), BodyTimeout: e.cfg.API.BodyTimeout}
	opts.UI = e.statusPage(db, api.NewUserVerifier(opts.Users), &opts)
	e.log.Info("serving", slog.String("listen", ln.Addr().String()), slog.Bool("billing", opts.Billing != nil))
	err = d.serve(ctx, ln, api.NewHandler(opts), e.log)
	if d.drained {
		db.Close()
	} // else Close would wait for the run's connections: the process ends without them, the next run converges
	return err
}

// apiOptions is the API's access configuration: who is served, with which
// role, from where; one throttle counts a client's failures at auth/, at
// the other calls and at the status page's login alike.
func (e *env) apiOptions(db *store.DB) api.Options {
	a := e.cfg.API
	return api.Options{Store: db, Families: e.families(), Log: e.log, Tokens: apiTokens(a.Tokens), Users: apiUsers(a.Users),
		TokenTTL: a.TokenTTL, TokenStore: db, Listen: a.Listen,
		Allow: allowList(a.Allow), HealthAllow: allowList(a.HealthAllow), TrustedProxies: allowList(a.TrustedProxies),
		Throttle: throttle.New(api.LoginBurst, api.LoginRefill)}
}

// serve runs the daemon's parts beside the HTTP server on ln until ctx is
// done or the server fails. Either way the parts are told to stop and
// waited for, so a dead listener does not leave the scheduler running. The
// requests in flight and the runs' drain share one bound, stopTimeout from
// the stop.
func (d *daemon) serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.start(ctx)
	o := d.http
	o.Log = log
	grace := cmp.Or(d.stopTimeout, stopTimeout)
	by, err := serveHTTP(ctx, ln, h, o, grace)
	if by.IsZero() { // the server failed: the stop starts now
		by = time.Now().Add(grace)
	}
	cancel()
	d.close(log, by)
	return err
}

// serveHTTP serves until ctx is done, then lets requests in flight finish
// for up to grace, and returns when that grace ends (zero when the server
// failed first); o sets the timeouts and the cap on open connections.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, o api.ServerOptions, grace time.Duration) (time.Time, error) {
	log := o.Log
	srv, ln := api.NewServer(ln, h, o)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return time.Time{}, err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	by := time.Now().Add(grace)
	shutCtx, cancel := context.WithDeadline(context.Background(), by)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return by, fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return by, err
	}
	return by, nil
}

// allowList parses api.allow (validated already): CIDRs or single addresses.
func allowList(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}
