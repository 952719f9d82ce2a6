package server

import (
	"context"
	"errors"
	"testing"
)

func TestRunningCancelsWhatRunsHere(t *testing.T) {
	var r Running
	ctx, cancel := context.WithCancel(context.Background())
	remove := r.Add("d1", cancel)
	if err := r.Cancel(context.Background(), "d2"); !errors.Is(err, ErrNotRunningHere) {
		t.Fatalf("cancel of a debate not here: %v", err)
	}
	if err := r.Cancel(context.Background(), "d1"); err != nil || ctx.Err() == nil {
		t.Fatalf("cancel: %v, ctx %v", err, ctx.Err())
	}
	remove()
	if err := r.Cancel(context.Background(), "d1"); !errors.Is(err, ErrNotRunningHere) {
		t.Fatalf("cancel after remove: %v", err)
	}
}
