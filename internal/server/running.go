package server

import (
	"context"
	"sync"
)

// Running is the debates a process runs, each with what cancels it: what a backend
// needs to answer Options.Cancel. The zero value is empty and ready.
type Running struct {
	mu sync.Mutex
	m  map[string]context.CancelFunc
}

// Add records that debate id runs here until the returned remove is called.
func (r *Running) Add(id string, cancel context.CancelFunc) (remove func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]context.CancelFunc{}
	}
	r.m[id] = cancel
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.m, id)
	}
}

// Cancel is an Options.Cancel: it cancels debate id, or returns ErrNotRunningHere.
func (r *Running) Cancel(_ context.Context, id string) error {
	r.mu.Lock()
	c, ok := r.m[id]
	r.mu.Unlock()
	if !ok {
		return ErrNotRunningHere
	}
	c()
	return nil
}
