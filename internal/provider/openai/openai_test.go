package openai

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/provider/providertest"
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
	return providertest.AsError(t, err, key)
}

// The behaviour every HTTP provider shares (internal/provider/providertest).
func TestSharedBehaviour(t *testing.T) {
	temp := 0.5
	providertest.Run(t, providertest.Target{
		Key:   key,
		Model: "m",
		New: func(t *testing.T) (*fakellm.Server, provider.Model) {
			return start(t)
		},
		WithKey: func(t *testing.T, srv *fakellm.Server, k string) provider.Model {
			return New(Config{BaseURL: srv.URL() + "/v1", APIKey: k, Model: "m"})
		},
		WrongKey:   "sk-openai-wrong-0000000000000",
		Statuses:   append([]providertest.Status{{Reply: fakellm.Reply{Status: 503, ErrorMessage: "busy"}, Class: provider.ClassServer}}, providertest.CommonStatuses...),
		CutDeltas:  []int{8, 10},
		Concurrent: provider.Request{System: "s", Prompt: "x", Temperature: &temp},
	})
}
