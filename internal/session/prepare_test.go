package session

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

// service is a Service whose OpenAI key is known and whose refs resolve without a
// network: nothing here calls a model.
func service(t *testing.T, cfg *config.Config) *Service {
	t.Helper()
	env := map[string]string{"OPENAI_API_KEY": "sk-test-0123456789", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), "PATH": ""}
	return &Service{Config: cfg, Env: func(k string) string { return env[k] }}
}

func inputErr(t *testing.T, err error, want string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Error(), want) {
		t.Fatalf("err = %v; want an InputError containing %q", err, want)
	}
}

// The configuration fills what the request leaves empty, and the request wins
// where it speaks.
func TestPrepareFillsDefaultsFromTheConfig(t *testing.T) {
	cfg := &config.Config{Panel: []string{"openai:a", "openai:b"}, Rounds: 2, Timeout: config.Duration(7 * time.Second), MaxCost: 1.5, Chair: "openai:b", Mode: "quick"}
	svc := service(t, cfg)
	p, err := svc.Prepare(context.Background(), Request{Problem: "  Cache first?  "})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Debate.Spec
	if s.Problem != "Cache first?" || s.Mode != "quick" || s.Rounds != 2 || s.Timeout != 7*time.Second || s.MaxCostUSD != 1.5 || s.Chair != "openai:b" {
		t.Errorf("spec from the config: %+v", s)
	}
	if len(p.Debate.Panel) != 2 || p.Debate.Panel[0].Seat.Model != "openai:a" || p.Debate.ID == "" {
		t.Errorf("panel %+v id %q", p.Debate.Panel, p.Debate.ID)
	}
	if len(p.Secrets) != 1 || p.Secrets[0] != "sk-test-0123456789" {
		t.Errorf("secrets %q", p.Secrets)
	}

	p, err = svc.Prepare(context.Background(), Request{Problem: "Cache first?", Models: []string{"openai:c", "openai:d", "openai:e"}, Mode: "standard", Rounds: 1, Timeout: time.Second, MaxCostUSD: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	s = p.Debate.Spec
	if s.Mode != "standard" || s.Rounds != 1 || s.Timeout != time.Second || s.MaxCostUSD != 0.2 || len(p.Debate.Panel) != 3 {
		t.Errorf("spec from the request: %+v", s)
	}
	// The configured chair is not on this panel: the mode's choice stands in.
	if s.Chair != "" {
		t.Errorf("chair %q; the config's chair is not on this panel", s.Chair)
	}
}

func TestPrepareRefusesBadRequests(t *testing.T) {
	cfg := &config.Config{Panels: map[string][]string{"pair": {"openai:a", "openai:b"}}}
	svc := service(t, cfg)
	ctx := context.Background()
	for _, c := range []struct {
		req  Request
		want string
	}{
		{Request{Problem: " "}, "the problem is empty"},
		{Request{Problem: "q", Panel: "trio"}, `no panel "trio" in the config (it defines: pair)`},
		{Request{Problem: "q", Panel: "pair", Models: []string{"openai:a", "openai:b"}}, "both -m and --panel"},
		{Request{Problem: "q", Models: []string{"openai:a"}}, "at least 2 models"},
		{Request{Problem: "q", Models: []string{"openai:a", "openai:b"}, Stances: []string{"for", "against", "neutral"}}, `"stances" has 3 entries for a panel of 2 seats`},
		{Request{Problem: "q", Models: []string{"openai:a", "openai:b"}, Chair: "C"}, `--chair "C" is not on the panel`},
		{Request{Problem: "q", Models: []string{"openai:a", "openai:b"}, Mode: "nosuch"}, `unknown mode "nosuch"`},
		{Request{Problem: "q", Models: []string{"openai:a", "openai:b"}, Rounds: -1}, "--rounds must be at least 1"},
		{Request{Problem: "q", Models: []string{"openai:a", "openai:b"}, Deadline: -time.Second}, "--deadline -1s is negative"},
		{Request{Problem: "q", Models: []string{"openai:a", "bogus:b"}}, "seat B:"},
	} {
		_, err := svc.Prepare(ctx, c.req)
		inputErr(t, err, c.want)
	}
}

func TestPrepareNamedPanelStancesAndChair(t *testing.T) {
	svc := service(t, &config.Config{Panels: map[string][]string{"pair": {"openai:a", "openai:a"}}})
	p, err := svc.Prepare(context.Background(), Request{Problem: "q", Panel: "pair", Stances: []string{"for", ""}, Chair: "B"})
	if err != nil {
		t.Fatal(err)
	}
	panel := p.Debate.Panel
	if panel[0].Seat.Stance != "for" || panel[1].Seat.Stance != "" || p.Debate.Spec.Chair != "B" {
		t.Errorf("stances or chair: %+v %q", panel, p.Debate.Spec.Chair)
	}
	// The same model twice is labelled, not hidden.
	if panel[0].Seat.Label != "openai:a#1" || panel[1].Seat.Label != "openai:a#2" {
		t.Errorf("labels %q %q", panel[0].Seat.Label, panel[1].Seat.Label)
	}
}

// Excluded refs never reach a detected panel, and when nothing is left the error
// says which setting left them out.
func TestExcludedRefsAndTheirError(t *testing.T) {
	svc := service(t, &config.Config{})
	svc.Exclude, svc.ExcludedBy = []string{"cli:claude"}, "parley mcp --exclude"
	for ref, want := range map[string]bool{"cli:claude": true, "cli:claude/opus": true, "cli:claudette": false, "openai:claude": false} {
		if svc.excluded(ref) != want {
			t.Errorf("excluded(%q) = %v", ref, !want)
		}
	}
	env := map[string]string{"HOME": t.TempDir(), "PATH": ""} // nothing to detect
	svc.Env = func(k string) string { return env[k] }
	_, err := svc.Prepare(context.Background(), Request{Problem: "q"})
	inputErr(t, err, "parley mcp --exclude leaves out cli:claude")
}

// A stored debate goes on with the settings each seat ran with, whatever the mode
// says now: the MCP tool's resume once rebuilt the panel without them.
func TestRebuildKeepsTheRecordedSettings(t *testing.T) {
	svc := service(t, &config.Config{})
	p, err := svc.Prepare(context.Background(), Request{Problem: "q", Models: []string{"openai:a?max_tokens=900", "openai:b"}})
	if err != nil {
		t.Fatal(err)
	}
	var log []debate.Event
	if _, err := debate.Run(context.Background(), p.Debate, func(e debate.Event) error {
		log = append(log, e)
		if e.Kind == debate.KindDebateStarted {
			return errors.New("stop here")
		}
		return nil
	}); err == nil {
		t.Fatal("the debate did not stop at its start")
	}
	// The log holds the seats as they ran; the ref itself carries no settings now.
	log[0].Started.Panel[0].Model = "openai:a"
	q, err := svc.Rebuild(context.Background(), log[:1])
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Debate.Panel[0].Seat.Settings; got != p.Debate.Panel[0].Seat.Settings || got == "" {
		t.Errorf("rebuilt seat A settings %q, ran with %q", got, p.Debate.Panel[0].Seat.Settings)
	}
}

// Takeover refuses what cannot be taken up, and claims what can: the recorder it
// gives the claim to lets it go at the end.
func TestTakeoverChecksAndClaims(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := service(t, &config.Config{})
	_, err = svc.Takeover(ctx, st, "nosuch")
	inputErr(t, err, `no debate with id "nosuch"`)

	p, err := svc.Prepare(ctx, Request{Problem: "q", Models: []string{"openai:a", "openai:b"}})
	if err != nil {
		t.Fatal(err)
	}
	rcd := NewRecorder(st, p, nil)
	// Stop the debate once it is stored and claimed by this (live) process.
	_, _ = debate.Run(ctx, p.Debate, func(e debate.Event) error {
		if err := rcd.Emit(e); err != nil {
			return err
		}
		if e.Kind == debate.KindDebateStarted {
			return errors.New("stop here")
		}
		return nil
	})
	id := p.Debate.ID
	_, err = svc.Takeover(ctx, st, id)
	inputErr(t, err, "is still running in process")

	rcd.Release(ctx, id)
	q, err := svc.Takeover(ctx, st, id)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := st.Get(ctx, id)
	if sum.Owner != q.Owner || q.Owner.PID == 0 {
		t.Fatalf("claimed by %+v, Prepared says %+v", sum.Owner, q.Owner)
	}
	r := NewRecorder(st, q, nil)
	if !r.Claimed || r.Owner != q.Owner {
		t.Fatalf("the recorder does not hold the claim: %+v", r)
	}
	r.Release(ctx, id)
	if sum, _ := st.Get(ctx, id); sum.Owner.PID != 0 {
		t.Fatalf("not let go: %+v", sum.Owner)
	}
}
