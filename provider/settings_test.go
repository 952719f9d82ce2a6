package provider

import (
	"strings"
	"testing"

	"github.com/tiktoken-go/tokenizer/codec"
)

func TestSettingsCanonicalAndMerge(t *testing.T) {
	a, err := ParseSettings("thinking=8000&temperature=0.50&max_tokens=16000")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseSettings("max_tokens=16000&temperature=0.5&thinking=8000")
	if a.String() != b.String() || a.String() != "max_tokens=16000&temperature=0.5&thinking=8000" {
		t.Fatalf("canonical forms %q and %q", a.String(), b.String())
	}
	off, _ := ParseSettings("thinking=off&reasoning=low")
	m := a.Merge(off)
	if m.String() != "max_tokens=16000&reasoning=low&temperature=0.5&thinking=off" {
		t.Fatalf("merged = %q", m.String())
	}
	if *a.Thinking != 8000 {
		t.Fatal("Merge changed its receiver's budget")
	}
	req := m.Apply(Request{MaxTokens: 256})
	if req.MaxTokens != 256 || req.Reasoning != "low" || *req.Thinking != 0 || *req.Temperature != 0.5 {
		t.Fatalf("applied = %+v", req)
	}
	if !(Settings{}).IsZero() || (Settings{}).String() != "" {
		t.Fatal("zero settings are not empty")
	}
}

// The estimate is the o200k_base count; bytes/4 undercounts Korean badly.
func TestEstimateTokensKorean(t *testing.T) {
	ko := strings.Repeat("데이터베이스를 샤딩하기 전에 읽기 복제본과 캐시로 충분한지 먼저 측정해야 합니다. ", 20)
	exact, err := codec.NewO200kBase().Count(ko)
	if err != nil {
		t.Fatal(err)
	}
	got := EstimateTokens(ko)
	if d := float64(got-exact) / float64(exact); d > 0.10 || d < -0.10 {
		t.Fatalf("estimate %d vs exact %d", got, exact)
	}
	bytes4 := len(ko) / 4
	t.Logf("Korean: exact %d, estimate %d, bytes/4 %d", exact, got, bytes4)
	if EstimateTokens("") != 0 || EstimateTokens("hello world") != 2 {
		t.Fatalf("english: %d", EstimateTokens("hello world"))
	}
}
