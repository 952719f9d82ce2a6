package tracing_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/tracing"
	"github.com/parleyhq/parley/provider"
)

const secretPrompt = "TOP-SECRET-PROBLEM-TEXT"

// fake answers with a position block; seat C fails its first call with a 5xx.
func fake(seat string) provider.Model {
	var mu sync.Mutex
	calls := 0
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if seat == "C" && n == 1 {
			return provider.Response{}, &provider.Error{Class: provider.ClassServer, Message: "boom " + secretPrompt}
		}
		text := "Go with SQLite.\n```json\n{\"position\": \"sqlite\", \"confidence\": 70, \"changed\": false, \"converged\": false}\n```\n"
		if strings.Contains(req.Prompt, "VERDICT") {
			text = "SQLite.\n```json\n{\"recommendation\": \"SQLite\", \"confidence\": 80, \"consensus\": [], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```\n"
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: 100, OutputTokens: 20}}, nil
	})
}

func runDebate(t *testing.T, observe func(debate.Event)) {
	t.Helper()
	mode, _ := debate.BuiltinMode("standard")
	var panel []debate.Participant
	for i, m := range []string{"openai:gpt-5", "anthropic:claude", "gemini:flash"} {
		s := string(rune('A' + i))
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: s, Model: m}, Model: fake(s)})
	}
	d := debate.Debate{ID: "traced", Mode: mode, Panel: panel,
		Spec: debate.Spec{Problem: secretPrompt + ": Postgres or SQLite?", Mode: mode.Name, Rounds: 2, RetryBase: time.Millisecond}}
	rec, err := debate.Run(context.Background(), d, func(e debate.Event) error { observe(e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != debate.StatusCompleted {
		t.Fatalf("status %s: %s", rec.Status, rec.Error)
	}
}

// TestSpanTree: the exact tree of a scripted three-seat debate of two rounds, with
// the attributes of each call, and no prompt text anywhere.
func TestSpanTree(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	tr := tracing.New(tp)
	runDebate(t, tr.Observe)

	spans := sr.Ended()
	if n := len(sr.Started()); n != len(spans) {
		t.Errorf("%d spans started, %d ended", n, len(spans))
	}
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID().String()] = s
	}
	path := func(s sdktrace.ReadOnlySpan) string {
		p := s.Name()
		for s.Parent().IsValid() {
			parent, ok := byID[s.Parent().SpanID().String()]
			if !ok {
				return "?/" + p
			}
			s = parent
			p = s.Name() + "/" + p
		}
		return p
	}
	var tree []string
	traceID := spans[0].SpanContext().TraceID()
	for _, s := range spans {
		tree = append(tree, path(s))
		if s.SpanContext().TraceID() != traceID {
			t.Errorf("span %s is in another trace", s.Name())
		}
		for _, a := range s.Attributes() {
			if strings.Contains(a.Value.Emit(), "SECRET") {
				t.Errorf("span %s attribute %s carries the prompt: %q", s.Name(), a.Key, a.Value.Emit())
			}
		}
		for _, ev := range s.Events() {
			for _, a := range ev.Attributes {
				if strings.Contains(a.Value.Emit(), "SECRET") {
					t.Errorf("span %s event %s carries text: %q", s.Name(), ev.Name, a.Value.Emit())
				}
			}
		}
		if strings.Contains(s.Status().Description, "SECRET") {
			t.Errorf("span %s status carries text", s.Name())
		}
	}
	slices.Sort(tree)
	want := []string{
		"debate",
		"debate/call A", // the verdict, by the chair
		"debate/round 1",
		"debate/round 1/call A", "debate/round 1/call B", "debate/round 1/call C",
		"debate/round 2",
		"debate/round 2/call A", "debate/round 2/call B", "debate/round 2/call C",
	}
	if !slices.Equal(tree, want) {
		t.Fatalf("span tree:\n%s\nwant:\n%s", strings.Join(tree, "\n"), strings.Join(want, "\n"))
	}

	for _, s := range spans {
		attrs := map[string]string{}
		for _, a := range s.Attributes() {
			attrs[string(a.Key)] = a.Value.Emit()
		}
		switch {
		case s.Name() == "debate":
			if attrs["parley.status"] != "completed" || attrs["parley.seats"] != "3" || attrs["parley.debate.id"] != "traced" {
				t.Errorf("debate span attributes %v", attrs)
			}
		case path(s) == "debate/round 1/call C":
			// The failed first attempt is a retry event on the call, which then answered.
			if attrs["parley.attempts"] != "2" || len(s.Events()) != 1 || s.Events()[0].Name != "retry" {
				t.Errorf("call C of round 1: %v, events %v", attrs, s.Events())
			}
			fallthrough
		case strings.HasPrefix(s.Name(), "call "):
			seat := strings.TrimPrefix(s.Name(), "call ")
			prov := map[string]string{"A": "openai", "B": "anthropic", "C": "gemini"}[seat]
			if attrs["parley.seat"] != seat || attrs["parley.provider"] != prov || attrs["parley.status"] != "ok" ||
				attrs["parley.tokens.input"] != "100" || attrs["parley.tokens.output"] != "20" {
				t.Errorf("%s attributes %v", path(s), attrs)
			}
			if !strings.HasPrefix(attrs["parley.model"], prov+":") {
				t.Errorf("%s model %q", path(s), attrs["parley.model"])
			}
		}
		if s.EndTime().Before(s.StartTime()) {
			t.Errorf("%s ends before it starts", path(s))
		}
	}
}

// TestSetupOffWithoutEndpoint: no OTLP variable, no tracer.
func TestSetupOffWithoutEndpoint(t *testing.T) {
	tr, shutdown, err := tracing.Setup(context.Background(), func(string) string { return "" }, "test")
	if err != nil || tr != nil {
		t.Fatalf("Setup without an endpoint = %v, %v", tr, err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"}
	if tracing.Enabled(func(k string) string { return env[k] }) {
		t.Error("OTEL_SDK_DISABLED=true is ignored")
	}
}

// TestSetupExportsOTLP: with OTEL_EXPORTER_OTLP_ENDPOINT set, the spans of a debate
// reach a (loopback) collector over OTLP/HTTP, with the headers the variables give.
func TestSetupExportsOTLP(t *testing.T) {
	var mu sync.Mutex
	var got []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %s %s %d", r.Method, r.URL.Path, r.Header.Get("X-Team"), len(b)))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=parley")
	tr, shutdown, err := tracing.Setup(context.Background(), func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return collector.URL
		}
		return ""
	}, "test")
	if err != nil || tr == nil {
		t.Fatalf("Setup = %v, %v", tr, err)
	}
	runDebate(t, tr.Observe)
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || !strings.HasPrefix(got[0], "POST /v1/traces parley ") {
		t.Fatalf("the collector got %v", got)
	}
}
