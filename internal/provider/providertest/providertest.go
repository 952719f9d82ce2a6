// Package providertest is the behaviour every HTTP provider of parley shares, tested
// one way against internal/fakellm: how each error status is classed, that a wrong
// key is an auth failure, that no error shows the key, that a cut or malformed
// stream and a hung call end as they must, and that one Model serves concurrent
// calls. Each provider's tests call Run with its own set-up; what only one provider
// does (its wire format, its headers, its SDK's quirks) stays in its own tests.
package providertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/provider"
)

// LongText streams in many pieces and holds more than ASCII, so that a provider that
// splits runes or drops a chunk shows it.
const LongText = "Streaming through the provider: héllo wörld, ünïcode survives " +
	"chunking, and the answer is long enough to arrive in many pieces."

// Target is one provider under test.
type Target struct {
	// Key is the key the provider is given. Errors must never show it.
	Key string
	// Model is the model name the fake server is scripted for.
	Model string
	// New starts a fake server that requires Key and returns it with a Model of the
	// provider, for Model, pointed at it.
	New func(t *testing.T) (*fakellm.Server, provider.Model)
	// WithKey is a Model for srv that sends key instead of Key.
	WithKey func(t *testing.T, srv *fakellm.Server, key string) provider.Model
	// WrongKey is a key of the provider's shape that the fake refuses.
	WrongKey string
	// Statuses are the error replies to class, with the class each must get; the
	// provider's own (Anthropic's 529, Gemini's 503) among the common ones.
	Statuses []Status
	// Concurrent is the request ConcurrentCalls sends (its Prompt "x" when empty):
	// a provider whose requests carry more than the prompt shows it sharing them.
	Concurrent provider.Request
	// CutDeltas are the rune counts that may have arrived when a stream is cut
	// after 10: an SDK that buffers a chunk delivers fewer.
	CutDeltas []int
}

// Status is an error reply and the class a provider must give it.
type Status struct {
	Reply      fakellm.Reply
	Class      provider.Class
	RetryAfter time.Duration
}

// CommonStatuses are what every provider must class alike.
var CommonStatuses = []Status{
	{Reply: fakellm.Reply{Status: 429, RetryAfter: "1", ErrorMessage: "slow down"}, Class: provider.ClassRateLimited, RetryAfter: time.Second},
	{Reply: fakellm.Reply{Status: 500, ErrorMessage: "boom"}, Class: provider.ClassServer},
	{Reply: fakellm.Reply{Status: 401, ErrorMessage: "who are you"}, Class: provider.ClassAuth},
	{Reply: fakellm.Reply{Status: 403, ErrorMessage: "not yours"}, Class: provider.ClassAuth},
	{Reply: fakellm.Reply{Status: 400, ErrorMessage: "bad field"}, Class: provider.ClassBadRequest},
	{Reply: fakellm.Reply{Status: 404, ErrorMessage: "no such model"}, Class: provider.ClassBadRequest},
}

// AsError returns err as a *provider.Error, failing the test if it is none or if
// anything in its chain shows key.
func AsError(t *testing.T, err error, key string) *provider.Error {
	t.Helper()
	if err == nil {
		t.Fatal("got no error")
	}
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *provider.Error", err, err)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if key != "" && strings.Contains(e.Error(), key) {
			t.Fatalf("error chain contains the key: %v", e)
		}
	}
	return pe
}

// Run runs the shared behaviour as subtests of t.
func Run(t *testing.T, tg Target) {
	ask := func(m provider.Model, ctx context.Context, onDelta func(string)) (provider.Response, error) {
		return m.Generate(ctx, provider.Request{Prompt: "x"}, onDelta)
	}
	scripted := func(t *testing.T, replies ...fakellm.Reply) (*fakellm.Server, provider.Model) {
		srv, m := tg.New(t)
		srv.Script(tg.Model, fakellm.Script{Replies: replies})
		return srv, m
	}

	t.Run("HTTPErrors", func(t *testing.T) {
		for _, tc := range tg.Statuses {
			t.Run(fmt.Sprint(tc.Reply.Status), func(t *testing.T) {
				srv, m := scripted(t, tc.Reply)
				_, err := ask(m, context.Background(), nil)
				pe := AsError(t, err, tg.Key)
				if pe.Class != tc.Class || pe.Status != tc.Reply.Status || pe.RetryAfter != tc.RetryAfter {
					t.Fatalf("got %v (status %d, retry after %v), want %s %d %v", pe, pe.Status, pe.RetryAfter, tc.Class, tc.Reply.Status, tc.RetryAfter)
				}
				if !strings.Contains(pe.Message, tc.Reply.ErrorMessage) || !strings.Contains(pe.Message, srv.URL()) {
					t.Fatalf("message %q lacks the server's message or host", pe.Message)
				}
				if len(srv.Calls()) != 1 {
					t.Fatalf("the SDK retried: %d calls", len(srv.Calls()))
				}
			})
		}
	})

	t.Run("WrongKeyIsAuth", func(t *testing.T) {
		srv, _ := tg.New(t)
		_, err := ask(tg.WithKey(t, srv, tg.WrongKey), context.Background(), nil)
		if pe := AsError(t, err, tg.WrongKey); pe.Class != provider.ClassAuth || pe.Retryable() {
			t.Fatalf("got %v", pe)
		}
	})

	t.Run("KeyIsRedacted", func(t *testing.T) {
		_, m := scripted(t, fakellm.Reply{Status: 400, ErrorMessage: "the key " + tg.Key + " may not do that"})
		_, err := ask(m, context.Background(), nil)
		pe := AsError(t, err, tg.Key) // fails if the key shows
		if !strings.Contains(pe.Message, "[redacted]") {
			t.Fatalf("message = %q", pe.Message)
		}
	})

	t.Run("StreamCutIsConnection", func(t *testing.T) {
		srv, m := scripted(t, fakellm.Reply{Text: LongText, ChunkSize: 4, CutAfter: 10})
		var got strings.Builder
		_, err := ask(m, context.Background(), func(d string) { got.WriteString(d) })
		pe := AsError(t, err, tg.Key)
		if pe.Class != provider.ClassConnection || !pe.Retryable() {
			t.Fatalf("got %v", pe)
		}
		ok := false
		for _, n := range tg.CutDeltas {
			ok = ok || got.String() == string([]rune(LongText)[:n])
		}
		if !ok {
			t.Fatalf("deltas before the cut = %q, want the first %v runes", got.String(), tg.CutDeltas)
		}
		if n := len(srv.Calls()); n != 1 {
			t.Fatalf("%d calls: the SDK resumed the stream on its own", n)
		}
	})

	t.Run("MalformedStreamIsAnError", func(t *testing.T) {
		_, m := scripted(t, fakellm.Reply{Malformed: true})
		resp, err := ask(m, context.Background(), nil)
		pe := AsError(t, err, tg.Key)
		if pe.Class != provider.ClassServer || resp.Text != "" {
			t.Fatalf("got %v, text %q", pe, resp.Text)
		}
	})

	t.Run("HangEndsWithTheContext", func(t *testing.T) {
		_, m := scripted(t, fakellm.Reply{Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		_, err := ask(m, ctx, nil)
		if pe := AsError(t, err, tg.Key); pe.Class != provider.ClassTimeout {
			t.Fatalf("deadline: got %v", pe)
		}
		ctx, cancel = context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err = ask(m, ctx, nil)
		if pe := AsError(t, err, tg.Key); pe.Class != provider.ClassCanceled {
			t.Fatalf("cancel: got %v", pe)
		}
	})

	t.Run("ConcurrentCalls", func(t *testing.T) {
		_, m := scripted(t, fakellm.Reply{Text: LongText, ChunkSize: 9, ChunkDelay: time.Millisecond})
		req := tg.Concurrent
		if req.Prompt == "" {
			req.Prompt = "x"
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				resp, err := m.Generate(context.Background(), req, nil)
				if err == nil && resp.Text != LongText {
					err = fmt.Errorf("text %q", resp.Text)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}
