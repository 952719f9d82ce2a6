package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/fakellm"
)

// replayPanel scripts a three-seat panel whose chair (gpt-5) recommends Redis when,
// and only when, the verdict prompt carries the answer of the model "redis-fan":
// so the right verdict of a swapped replay is known by construction.
func replayPanel(h *harness) {
	base := answers("gpt-5", 0)
	h.srv.Script("gpt-5", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		if roundOf(c.Prompt) == 0 && strings.Contains(c.Prompt, "REDIS-FIRST") {
			return fakellm.Reply{Text: "```json\n{\"recommendation\": \"Put Redis in front of the slow endpoints\", \"confidence\": 61, \"consensus\": [], \"disagreements\": [\"cache or profile\"], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```"}
		}
		return base.Func(c)
	}})
	h.srv.Script("o4-mini", answers("o4-mini", 0))
	h.srv.Script("gpt-4.1", answers("gpt-4.1", 0))
	h.srv.Script("redis-fan", fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		if roundOf(c.Prompt) == 0 {
			return fakellm.Reply{Text: "```json\n{\"recommendation\": \"Redis, says the fan in the chair\", \"confidence\": 90, \"consensus\": [], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```"}
		}
		return fakellm.Reply{Text: "Cache it. REDIS-FIRST\n```json\n{\"position\": \"redis first\", \"confidence\": 70, \"changed\": false, \"converged\": false}\n```"}
	}})
}

func originalDebate(t *testing.T, h *harness) string {
	t.Helper()
	out := filepath.Join(h.dir, "orig.json")
	res := h.run("Our Django API is slow: where do we start?", "-m", "openai:gpt-5,openai:o4-mini,openai:gpt-4.1", "-q", "-o", out)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	return decodeResultID(t, out)
}

func TestReplayServesEveryCallFromTheCache(t *testing.T) {
	h := newHarness(t)
	replayPanel(h)
	id := originalDebate(t, h)
	before := len(h.srv.Calls())
	if before == 0 {
		t.Fatal("the original debate made no calls")
	}
	res := h.run("replay", id, "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if n := len(h.srv.Calls()) - before; n != 0 {
		t.Errorf("the replay made %d calls, want 0", n)
	}
	rep := decodeResult(t, res.stdout)
	orig := decodeResult(t, h.run("show", id, "--format", "json").stdout)
	if rep.ID == id || rep.Verdict == nil || orig.Verdict == nil {
		t.Fatalf("replay %s of %s, verdicts %v / %v", rep.ID, id, rep.Verdict, orig.Verdict)
	}
	if rep.Verdict.Recommendation != orig.Verdict.Recommendation || rep.Verdict.Confidence != orig.Verdict.Confidence {
		t.Errorf("replay verdict %+v, original %+v", rep.Verdict, orig.Verdict)
	}
	if rep.Usage.CostUSD != orig.Usage.CostUSD {
		t.Logf("cost %v vs %v", rep.Usage.CostUSD, orig.Usage.CostUSD)
	}
	for _, want := range []string{"recommendation: identical", "confidence: 82 (unchanged)", "0 made, 0 missing"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
}

func TestReplaySwapCallsOnlyWhatChanged(t *testing.T) {
	h := newHarness(t)
	replayPanel(h)
	id := originalDebate(t, h)
	before := len(h.srv.Calls())
	res := h.run("replay", id, "--swap", "B=openai:redis-fan", "--allow-calls", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	made := h.srv.Calls()[before:]
	if len(made) == 0 {
		t.Fatal("no calls made for the swapped seat")
	}
	fan := 0
	for _, c := range made {
		if c.Model == "redis-fan" {
			fan++
			continue
		}
		// Round 1 prompts do not carry other seats' answers: A's and C's are unchanged
		// and come from the cache. Later rounds and the verdict read B's answer.
		if roundOf(c.Prompt) == 1 {
			t.Errorf("%s was called again for round 1, whose prompt did not change", c.Model)
		}
		if !strings.Contains(c.Prompt, "REDIS-FIRST") {
			t.Errorf("%s was called for round %d with a prompt without B's answer", c.Model, roundOf(c.Prompt))
		}
	}
	if fan == 0 {
		t.Error("the swapped seat was never called")
	}
	rep := decodeResult(t, res.stdout)
	if rep.Verdict == nil || rep.Verdict.Recommendation != "Put Redis in front of the slow endpoints" {
		t.Fatalf("replay verdict %+v", rep.Verdict)
	}
	for _, want := range []string{"recommendation changed", "-Profile with django-silk, then fix N+1 queries\n+Put Redis in front of the slow endpoints\n", "confidence: 82 → 61 (-21)"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	// The replay's new calls went into the cache too: replaying the replay is free.
	before = len(h.srv.Calls())
	again := h.run("replay", rep.ID, "-q")
	if again.code != 0 || len(h.srv.Calls()) != before {
		t.Errorf("replay of the replay: exit %d, %d calls\n%s", again.code, len(h.srv.Calls())-before, again.stderr)
	}
	// No key in anything written, the call cache included.
	filepath.Walk(h.dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		if data, _ := os.ReadFile(p); bytes.Contains(data, []byte(secretKey)) {
			t.Errorf("the API key is in %s", p)
		}
		return nil
	})
}

func TestReplayMissingCallIsAnError(t *testing.T) {
	h := newHarness(t)
	replayPanel(h)
	id := originalDebate(t, h)
	before := len(h.srv.Calls())
	res := h.run("replay", id, "--swap", "B=openai:redis-fan", "-q")
	if res.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"seat B's call in round 1", "not in the call cache", "--allow-calls"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if n := len(h.srv.Calls()) - before; n != 0 {
		t.Errorf("%d calls made without --allow-calls", n)
	}
}

func TestReplayBadInput(t *testing.T) {
	h := newHarness(t)
	replayPanel(h)
	id := originalDebate(t, h)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "nosuchid"}, `no debate with id "nosuchid"`},
		{[]string{"replay", id, "--swap", "B:openai:x"}, `malformed --swap "B:openai:x": want SEAT=provider:model`},
		{[]string{"replay", id, "--swap", "b=openai:x"}, "malformed --swap"},
		{[]string{"replay", id, "--swap", "Z=openai:x"}, "has no seat Z"},
		{[]string{"replay"}, "replay takes 1 argument"},
	} {
		res := h.run(c.args...)
		if res.code != 2 || !strings.Contains(res.stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q in:\n%s", c.args, res.code, c.want, res.stderr)
		}
	}
}

// A chair named by model ref keeps its seat when a swap replaces that model.
func TestReplaySwapKeepsTheChairsSeat(t *testing.T) {
	h := newHarness(t)
	replayPanel(h)
	out := filepath.Join(h.dir, "orig.json")
	if res := h.run("q", "-m", "openai:gpt-5,openai:o4-mini,openai:gpt-4.1", "--chair", "openai:o4-mini", "-q", "-o", out); res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	res := h.run("replay", decodeResultID(t, out), "--swap", "B=openai:redis-fan", "--allow-calls", "-q", "--format", "json")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if v := decodeResult(t, res.stdout).Verdict; v == nil || v.Recommendation != "Redis, says the fan in the chair" {
		t.Errorf("verdict %+v, want seat B's (the swapped model's)", v)
	}
}
