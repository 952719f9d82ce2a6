package report

import (
	"strings"
	"testing"

	"github.com/parleyhq/parley/debate"
)

func TestFolderName(t *testing.T) {
	tests := []struct {
		problem, id, want string
	}{
		{"Our Django API is slow: Redis, indexes or queries?", "k3m9x2ab", "our-django-api-is-slow-redis-indexes-or-queries-k3m9x2ab"},
		{"Café déjà vu — Straße, Ærø, Łódź", "k3m9x2ab", "cafe-deja-vu-strasse-aero-lodz-k3m9x2ab"},
		{"우리 Django API가 느립니다. Redis 캐싱부터 할까요?", "k3m9x2ab", "debate-k3m9x2ab"},
		{"どのキューを使うべきか: SQS or Kafka", "k3m9x2ab", "debate-k3m9x2ab"},
		{"Which queue: SQS or Kafka (카프카)?", "k3m9x2ab", "which-queue-sqs-or-kafka-k3m9x2ab"},
		{"", "k3m9x2ab", "debate-k3m9x2ab"},
		{"?!…", "k3m9x2ab", "debate-k3m9x2ab"},
		{"First line\nsecond line is ignored", "k3m9x2ab", "first-line-k3m9x2ab"},
		{"../../etc/passwd", "k3m9x2ab", "etc-passwd-k3m9x2ab"},
		{strings.Repeat("word ", 30), "k3m9x2ab", strings.TrimSuffix(strings.Repeat("word-", 12), "-") + "-k3m9x2ab"},
		{strings.Repeat("x", 100), "k3m9x2ab", strings.Repeat("x", 60) + "-k3m9x2ab"},
		{"Same problem", "ID/with:odd chars", "same-problem-ID-with-odd-char-ba4379f3"},
	}
	for _, tt := range tests {
		got := folderName(&debate.Record{Problem: tt.problem, ID: tt.id})
		if got != tt.want {
			t.Errorf("folderName(%q, %q) = %q, want %q", tt.problem, tt.id, got, tt.want)
		}
		if strings.ContainsAny(got, `/\:*?"<>| `) || strings.HasPrefix(got, ".") {
			t.Errorf("folderName(%q, %q) = %q is not a safe file name", tt.problem, tt.id, got)
		}
		if slug := strings.TrimSuffix(got, "-"+idPart(tt.id)); len(slug) > 60 {
			t.Errorf("the slug of %q is %d bytes", tt.problem, len(slug))
		}
	}
	// Ids that clean to the same text still give different folders.
	if a, b := idPart("a/b"), idPart("a:b"); a == b {
		t.Errorf("idPart: %q and %q both give %q", "a/b", "a:b", a)
	}
}

func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{
		"openai:gpt-5":                           "openai-gpt-5",
		"openrouter:anthropic/claude-sonnet-4.5": "openrouter-anthropic-claude-sonnet-4.5",
		"ollama:qwen3:8b":                        "ollama-qwen3-8b",
		"cli:claude#2":                           "cli-claude-2",
		"cli:gemini/gemini-2.5-flash":            "cli-gemini-gemini-2.5-flash",
		"../../etc/passwd":                       "etc-passwd",
		"..":                                     "x",
		"모델":                                     "x",
		"A":                                      "A",
	} {
		if got := fileSafe(in, "x"); got != want {
			t.Errorf("fileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
