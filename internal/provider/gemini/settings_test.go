package gemini

import (
	"context"
	"testing"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

func TestSettingsReachTheRequest(t *testing.T) {
	srv := fakellm.Start(t, fakellm.Options{RequireKey: testKey})
	budget, temp := 8000, 0.6
	m, err := New(Config{BaseURL: srv.URL(), APIKey: testKey, Model: "gemini-x",
		Settings: provider.Settings{Thinking: &budget, MaxTokens: 3000, Temperature: &temp}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err != nil {
		t.Fatal(err)
	}
	gc, _ := srv.Calls()[0].JSON()["generationConfig"].(map[string]any)
	tc, _ := gc["thinkingConfig"].(map[string]any)
	if tc["thinkingBudget"] != float64(8000) || gc["maxOutputTokens"] != float64(3000) || gc["temperature"] != 0.6 {
		t.Fatalf("generationConfig = %v", gc)
	}
	m, _ = New(Config{BaseURL: srv.URL(), APIKey: testKey, Model: "gemini-x", Settings: provider.Settings{Reasoning: "high"}})
	if _, err := m.Generate(context.Background(), provider.Request{Prompt: "hi"}, nil); err == nil {
		t.Fatal("reasoning= was accepted by a Gemini model")
	}
}
