package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/parleyhq/parley/internal/jobs"
)

// TestJobsTracedByOtelriver: with otelriver's middleware, working a debate's job
// makes a span, and the run's context carries it (so spans made there are its
// children).
func TestJobsTracedByOtelriver(t *testing.T) {
	tm := newTeam(t)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	ran := make(chan bool, 1)
	r, err := jobs.New(context.Background(), jobs.Config{
		Pool: tm.store.Pool(), Store: tm.store, LeaseTTL: ttl, Renew: renew, Reap: reap,
		Middleware: []rivertype.Middleware{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{TracerProvider: tp})},
		Run: func(ctx context.Context, id string) error {
			_, span := tp.Tracer("test").Start(ctx, "inside the job")
			span.End()
			ran <- true
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	}()
	tm.create(r, "traced")
	select {
	case <-ran:
	case <-time.After(20 * time.Second):
		t.Fatal("the job did not run")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var work, inside sdktrace.ReadOnlySpan
		for _, s := range sr.Ended() {
			switch {
			case s.Name() == "inside the job":
				inside = s
			case strings.Contains(s.Name(), "work"):
				work = s
			}
		}
		if work != nil && inside != nil {
			if inside.Parent().SpanID() != work.SpanContext().SpanID() {
				t.Errorf("the span made in the job is not the work span's child")
			}
			return
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range sr.Ended() {
				names = append(names, s.Name())
			}
			t.Fatalf("spans: %v", names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
