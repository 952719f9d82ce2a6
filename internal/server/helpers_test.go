package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/sse"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlite"
	"github.com/parleyhq/parley/provider"
)

func TestMain(m *testing.M) {
	// The Request type is internal/session's, which links the providers' SDKs:
	// genai's dependency go.opencensus.io starts a worker in its init, not a leak.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}

// answer is what every fake seat says: prose, then the block parley asks for.
func answer(seat string, round int) string {
	return fmt.Sprintf("Seat %s, round %d: profile the slow endpoints first.\n```json\n{\"position\": \"profile first\", \"confidence\": %d, \"changed\": false, \"converged\": false}\n```\n", seat, round, 60+round*5)
}

const verdictText = "Profile, then fix the N+1 queries.\n```json\n{\"recommendation\": \"Profile, then fix N+1 queries\", \"confidence\": 80, \"consensus\": [\"measure first\"], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": [\"install django-silk\"]}\n```\n"

var roundRE = regexp.MustCompile(`# Round (\d+) of`)

var reviewQuote = regexp.MustCompile(`QUOTE [0-9a-f]{8} seat ([A-Z])>>>`)

// fakeModel answers after delay, streaming its answer in chunks; hostile, when set,
// is added to every answer.
func fakeModel(seat string, delay time.Duration, hostile string) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return provider.Response{}, &provider.Error{Class: provider.ClassCanceled, Message: "canceled", Err: ctx.Err()}
		}
		round := 1
		if m := roundRE.FindStringSubmatch(req.Prompt); m != nil {
			round, _ = strconv.Atoi(m[1])
		}
		text := answer(seat, round)
		switch p := req.Prompt; {
		case strings.Contains(p, "VERDICT"):
			text = verdictText
		case strings.Contains(p, "counted in a vote"):
			// The vote mode's ballot: A and B agree, C differs.
			ans := map[string]string{"A": "18", "B": "18", "C": "20"}[seat]
			text = fmt.Sprintf("Seat %s votes %s.\n```json\n{\"answer\": \"%s\", \"position\": \"%s\", \"confidence\": 80}\n```\n", seat, ans, ans, ans)
		case strings.Contains(p, "anonymous peer review"):
			// The council's review: rank the seats shown, in the order shown.
			var shown []string
			for _, m := range reviewQuote.FindAllStringSubmatch(p, -1) {
				shown = append(shown, `"`+m[1]+`"`)
			}
			text = fmt.Sprintf("Review by %s.\n```json\n{\"ranking\": [%s], \"position\": \"profile first\", \"confidence\": 75}\n```\n", seat, strings.Join(shown, ", "))
		}

		text = hostile + text
		for i := 0; i < len(text); i += 40 {
			if onDelta != nil {
				onDelta(text[i:min(i+40, len(text))])
			}
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: 100, OutputTokens: 50}}, nil
	})
}

// env is a server over a real SQLite store whose debates run in goroutines with
// fake models, as the command's local backend runs them.
type env struct {
	t     *testing.T
	store *sqlite.Store
	hub   *server.Hub
	srv   *server.Server
	ts    *httptest.Server

	delay   time.Duration
	hostile string
	mode    string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	running server.Running
}

// cancelDebate is a server.Options.Cancel for the debates env runs.
func (e *env) cancelDebate(ctx context.Context, id string) error { return e.running.Cancel(ctx, id) }

func newEnv(t *testing.T, opts server.Options) *env {
	t.Helper()
	return newEnvHub(t, opts, server.NewHub())
}

// newEnvHub is newEnv with the hub its debates publish to (opts.Hub, when set, is
// the server's, which may be another: a debate run elsewhere).
func newEnvHub(t *testing.T, opts server.Options, hub *server.Hub) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, hub: hub, delay: 20 * time.Millisecond, mode: "quick"}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	opts.Store = st
	if opts.Start == nil {
		opts.Start = e.start
	}
	if opts.Hub == nil {
		opts.Hub = e.hub
	}
	if opts.Poll == 0 {
		opts.Poll = 50 * time.Millisecond
	}
	e.srv = server.New(opts)
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(func() {
		e.cancel()
		e.wg.Wait()
		e.srv.Close()
		e.ts.Close()
		st.Close()
	})
	return e
}

// start runs a debate of three fake seats.
func (e *env) start(ctx context.Context, req server.Request) (string, error) {
	mode, ok := debate.BuiltinMode(e.mode)
	if !ok {
		return "", server.BadRequest(fmt.Errorf("unknown mode %q", e.mode))
	}
	if req.Mode != "" && req.Mode != e.mode {
		return "", server.BadRequest(fmt.Errorf("unknown mode %q", req.Mode))
	}
	var panel []debate.Participant
	for _, s := range []string{"A", "B", "C"} {
		panel = append(panel, debate.Participant{Seat: debate.Seat{Seat: s, Model: "fake:" + s}, Model: fakeModel(s, e.delay, e.hostile)})
	}
	d := debate.Debate{ID: debate.NewID(), Spec: debate.Spec{Problem: req.Problem, Mode: mode.Name, Rounds: req.Rounds, RetryBase: time.Millisecond}, Mode: mode, Panel: panel}
	started := make(chan error, 1)
	var once sync.Once
	ctx, cancel := context.WithCancel(e.ctx)
	remove := e.running.Add(d.ID, cancel)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() {
			remove()
			cancel()
		}()
		_, err := debate.Run(ctx, d, func(ev debate.Event) error {
			if ev.Kind.Stored() {
				if err := e.store.Append(context.Background(), ev); err != nil {
					return err
				}
			}
			e.hub.Publish(ev)
			if ev.Kind == debate.KindDebateStarted {
				once.Do(func() { started <- nil })
			}
			return nil
		})
		once.Do(func() { started <- err })
	}()
	if err := <-started; err != nil {
		return "", err
	}
	return d.ID, nil
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path, body string, header map[string]string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v // the client ignores a Host in Header
			continue
		}
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

// create starts a debate through the API and returns its id.
func (e *env) create(problem string, header map[string]string) string {
	e.t.Helper()
	r := e.do("POST", "/api/debates", `{"problem": `+strconv.Quote(problem)+`}`, header)
	if r.status != http.StatusAccepted {
		e.t.Fatalf("POST /api/debates = %d %s", r.status, r.body)
	}
	var out struct{ ID string }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || out.ID == "" {
		e.t.Fatalf("POST /api/debates body %s: %v", r.body, err)
	}
	return out.ID
}

// waitFinished waits until debate id's status is no longer running.
func (e *env) waitFinished(id string) store.Summary {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sum, err := e.store.Get(context.Background(), id)
		if err == nil && sum.Status != debate.StatusRunning {
			return sum
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("debate %s still %s", id, sum.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sseEvent is one event as a client reads it off the stream.
type sseEvent = sse.Event

// readSSE reads a stream until it ends or stop returns true.
func readSSE(t *testing.T, body io.Reader, stop func(sseEvent) bool) []sseEvent {
	t.Helper()
	out, _ := sse.ReadAll(body, stop) // a stream cut by the test's end is not an error
	return out
}

// openStream opens the event stream of id after lastID ("" for the start).
func (e *env) openStream(ctx context.Context, id, lastID string, header map[string]string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/debates/"+id+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}
