package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parley models lists every provider's catalogue models with a decided
// reachable flag and its reason, driven by the environment only.
func TestModelsListsEveryKnownModel(t *testing.T) {
	h := newHarness(t)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "codex"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.env["PATH"] = bin
	h.env["ANTHROPIC_API_KEY"] = "sk-ant-test"
	delete(h.env, "OPENAI_API_KEY")
	res := h.run("models", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stdout, `"reachable": null`) || strings.Contains(res.stdout, "sk-ant-test") {
		t.Fatalf("null reachable or a key in the output")
	}
	var out struct {
		Models []struct {
			Ref, Provider, Reason string
			Reachable             *bool
			ContextWindow         int     `json:"context_window"`
			InputPrice            float64 `json:"input_usd_per_mtok"`
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	reason := map[string]string{}
	for _, m := range out.Models {
		if m.Reachable == nil {
			t.Fatalf("%s has no reachable flag", m.Ref)
		}
		got[m.Ref], reason[m.Ref] = *m.Reachable, m.Reason
		if m.Ref == "anthropic:claude-sonnet-4-6" && (m.ContextWindow == 0 || m.InputPrice == 0) {
			t.Errorf("no price or context for %+v", m)
		}
	}
	for ref, want := range map[string]bool{"anthropic:claude-sonnet-4-6": true, "gemini:gemini-2.5-pro": false, "cli:codex": true, "cli:claude": false, "openai:gpt-5": false} {
		if r, ok := got[ref]; !ok || r != want {
			t.Errorf("%s: listed %v, reachable %v (%s), want %v", ref, ok, r, reason[ref], want)
		}
	}
	if !strings.Contains(reason["gemini:gemini-2.5-pro"], "GEMINI_API_KEY") || !strings.Contains(reason["cli:claude"], "not on PATH") {
		t.Errorf("reasons: %q, %q", reason["gemini:gemini-2.5-pro"], reason["cli:claude"])
	}
	text := h.run("models", "--all")
	if !strings.Contains(text.stdout, "KNOWN") || !strings.Contains(text.stdout, "anthropic:claude-sonnet-4-6") {
		t.Errorf("--all text:\n%.2000s", text.stdout)
	}
}

// A seat's settings that its provider cannot take stop the run with exit 2,
// naming the seat.
func TestUnsupportedSettingIsAUsageError(t *testing.T) {
	h := newHarness(t)
	res := h.run("-m", "openai:a,openai:b?thinking=4000", "a problem")
	if res.code != 2 || !strings.Contains(res.stderr, "openai:b?thinking=4000") || !strings.Contains(res.stderr, "reasoning=") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
}

// A seat's settings from -m reach the vendor's request body and are recorded
// with the seat in the result.
func TestSeatSettingsReachTheRequestAndTheRecord(t *testing.T) {
	h := newHarness(t)
	res := h.run("Where do we start?", "-m", "openai:gpt-5?max_tokens=900&reasoning=low,openai:gpt-4.1", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, `"settings": "max_tokens=900\u0026reasoning=low"`) && !strings.Contains(res.stdout, `"settings": "max_tokens=900&reasoning=low"`) {
		t.Errorf("the seat's settings are not in the result:\n%.3000s", res.stdout)
	}
	calls := h.srv.CallsFor("gpt-5")
	if len(calls) == 0 {
		t.Fatal("no call for gpt-5")
	}
	for _, c := range calls {
		if b := c.JSON(); b["max_completion_tokens"] != float64(900) || b["reasoning_effort"] != "low" {
			t.Fatalf("body = %v", b)
		}
	}
	for _, c := range h.srv.CallsFor("gpt-4.1") {
		if _, ok := c.JSON()["reasoning_effort"]; ok {
			t.Fatal("another seat's settings leaked into gpt-4.1's request")
		}
	}
}
