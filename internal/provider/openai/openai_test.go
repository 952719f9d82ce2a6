package openai

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const key = "sk-openai-test-0123456789abcdef"

func start(t *testing.T, replies ...fakellm.Reply) (*fakellm.Server, *Model) {
	t.Helper()
	srv := fakellm.Start(t, fakellm.Options{RequireKey: key})
	srv.Script("m", fakellm.Script{Replies: replies})
	return srv, New(Config{BaseURL: srv.URL() + "/v1", APIKey: key, Model: "m"})
}

func TestStreamsTextUsageAndDeltas(t *testing.T) {
	srv, m := start(t, fakellm.Reply{Text: strings.Repeat("word ", 40), ChunkSize: 8, InputTokens: 123, OutputTokens: 45})
	var deltas []string
	temp := 0.3
	resp, err := m.Generate(context.Background(), provider.Request{System: "be brief", Prompt: "hello", Temperature: &temp}, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != strings.Repeat("word ", 40) || strings.Join(deltas, "") != resp.Text || len(deltas) < 5 {
		t.Fatalf("text %q from %d deltas", resp.Text, len(deltas))
	}
	if resp.Usage != (provider.Usage{InputTokens: 123, OutputTokens: 45}) {
		t.Errorf("usage %+v", resp.Usage)
	}
	c := srv.CallsFor("m")[0]
	if !c.Stream || c.Protocol != fakellm.ProtocolOpenAIChat || c.System != "be brief" || !strings.Contains(c.Prompt, "hello") {
		t.Errorf("call %+v", c)
	}
	if c.Header.Get("Authorization") != "Bearer "+key {
		t.Errorf("auth header %q", c.Header.Get("Authorization"))
	}
}

func classOf(t *testing.T, err error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("%T %v is not a *provider.Error", err, err)
	}
	if strings.Contains(pe.Error(), key) {
		t.Errorf("the key leaked into %q", pe.Error())
	}
	return pe
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name  string
		reply fakellm.Reply
		class provider.Class
	}{
		{"rate limited", fakellm.Reply{Status: 429, RetryAfter: "2"}, provider.ClassRateLimited},
		{"server error", fakellm.Reply{Status: 503}, provider.ClassServer},
		{"auth", fakellm.Reply{Status: 401, ErrorMessage: "Incorrect API key provided: " + key}, provider.ClassAuth},
		{"bad request", fakellm.Reply{Status: 400, ErrorMessage: "context length exceeded"}, provider.ClassBadRequest},
		{"stream cut", fakellm.Reply{Text: strings.Repeat("x", 200), CutAfter: 40}, provider.ClassConnection},
		{"malformed", fakellm.Reply{Text: "hello", Malformed: true}, provider.ClassServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, m := start(t, tc.reply)
			_, err := m.Generate(context.Background(), provider.Request{Prompt: "q"}, nil)
			pe := classOf(t, err)
			if pe.Class != tc.class {
				t.Errorf("class %s, want %s (%v)", pe.Class, tc.class, pe)
			}
			if tc.class == provider.ClassRateLimited && pe.RetryAfter != 2*time.Second {
				t.Errorf("retry after %v", pe.RetryAfter)
			}
		})
	}
}

func TestHangEndsWithTheContext(t *testing.T) {
	_, m := start(t, fakellm.Reply{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Generate(ctx, provider.Request{Prompt: "q"}, nil)
	if pe := classOf(t, err); pe.Class != provider.ClassTimeout {
		t.Errorf("class %s", pe.Class)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the call outlived its context")
	}
}
