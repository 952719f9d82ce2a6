package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestServeOps: `parley serve` answers /readyz, counts a fakellm debate's calls on
// /metrics, cancels a running debate over the API (recorded as interrupted), and
// logs JSON when its stderr is not a terminal, with no key in it.
func TestServeOps(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"gpt-5", "o4-mini", "gpt-4.1"} {
		h.srv.Script(m, answers(m, 20*time.Millisecond))
	}
	s := h.serve()
	if r := s.do("GET", "/readyz", ""); r.status != 200 || !strings.Contains(r.body, `"ready"`) {
		t.Fatalf("/readyz = %d %s", r.status, r.body)
	}
	id := s.start(`{"problem": "Where do we start?", "models": ["openai:gpt-5", "openai:o4-mini", "openai:gpt-4.1"], "mode": "standard", "rounds": 3}`)
	if got := s.follow(id, 0); !strings.Contains(got.finished, `"completed"`) {
		t.Fatalf("not completed: %+v", got)
	}
	r := s.do("GET", "/metrics", "")
	// Three seats for three rounds, and the chair's verdict.
	for _, want := range []string{`parley_calls_total{provider="openai",status="ok"} 10`, "parley_debates_running 0", `parley_call_duration_seconds_count{provider="openai"} 10`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	for _, m := range []string{"gpt-5", "o4-mini", "gpt-4.1"} {
		h.srv.Script(m, answers(m, 10*time.Second))
	}
	slow := s.start(`{"problem": "A slow one", "models": ["openai:gpt-5", "openai:o4-mini", "openai:gpt-4.1"], "mode": "standard", "rounds": 3}`)
	if r := s.do("POST", "/api/debates/"+slow+"/cancel", ""); r.status != 202 {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	if got := s.follow(slow, 0); !strings.Contains(got.finished, `"interrupted"`) {
		t.Fatalf("a canceled debate finished with %q", got.finished)
	}
	if code := s.stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}

	requests := 0
	for _, line := range strings.Split(strings.TrimSpace(s.log.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue // the start-up banner
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		if m["msg"] == "request" {
			requests++
		}
	}
	if requests < 5 {
		t.Errorf("%d JSON request lines:\n%s", requests, s.log.String())
	}
	if strings.Contains(s.log.String(), secretKey) {
		t.Fatal("the key reached the log")
	}
}
