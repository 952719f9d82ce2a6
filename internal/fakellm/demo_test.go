package fakellm

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestDemoRound(t *testing.T) {
	cases := []struct {
		prompt string
		want   int
	}{
		{"Round 1 of 3: analyse the problem", 1},
		{"no round marker at all", 1},
		{"Round 2: critique. Earlier answers:\n## Round 1: ...", 2},
		{"Round 3: final position. Quoted: Round 2, Round 1", 3},
		{"Round 5 of a deep debate", 3},
		{"Round 3 is over. Write the VERDICT.", 0},
	}
	for _, tc := range cases {
		if got := demoRound(tc.prompt); got != tc.want {
			t.Errorf("demoRound(%q) = %d, want %d", tc.prompt, got, tc.want)
		}
	}
}

// Three model names get three voices; every answer is marked as scripted, ends
// with a valid reply block, and round 3 converges. The caching voice flips.
func TestDemoPersonas(t *testing.T) {
	sc := Demo()
	models := []string{"openai:gpt-5", "anthropic:claude-sonnet", "gemini:gemini-2.5-pro"}
	seen := map[string]string{}
	for _, m := range models {
		for round := 1; round <= 3; round++ {
			r := sc.Func(Call{Model: m, Prompt: fmt.Sprintf("Problem: %s\nRound %d", DemoQuestion, round)})
			if !strings.HasPrefix(r.Text, "*(scripted demo answer from fakellm") {
				t.Fatalf("%s round %d does not say it is scripted:\n%s", m, round, r.Text)
			}
			if r.ChunkSize == 0 || r.ChunkDelay == 0 {
				t.Fatalf("demo reply does not stream in small chunks: %+v", r)
			}
			b := jsonBlock(t, r.Text)
			if b["position"] == "" || b["confidence"] == nil {
				t.Fatalf("%s round %d block = %v", m, round, b)
			}
			if conv := b["converged"] == true; conv != (round == 3) {
				t.Fatalf("%s round %d: converged = %v", m, round, b["converged"])
			}
			if round == 2 && b["changed"] == true && !strings.Contains(r.Text, "changing my recommendation") {
				t.Fatalf("%s changed without saying why:\n%s", m, r.Text)
			}
			if other, dup := seen[r.Text]; dup {
				t.Fatalf("%s and %s gave the same round %d answer", m, other, round)
			}
			seen[r.Text] = m
		}
	}
	// Voices stick to their model.
	again := sc.Func(Call{Model: models[0], Prompt: "Round 1"}).Text
	if seen[again] != models[0] {
		t.Fatalf("model %s changed voice", models[0])
	}
}

// Names whose hashes collide still get distinct voices, and each keeps it.
func TestDemoVoicesDistinctOnCollision(t *testing.T) {
	v := &voices{byModel: map[string]int{}}
	// Find three names that all hash to the same voice.
	var names []string
	target := -1
	for i := 0; len(names) < 3; i++ {
		probe := &voices{byModel: map[string]int{}}
		n := fmt.Sprintf("model-%d", i)
		if p := probe.of(n); target < 0 || p == target {
			target = p
			names = append(names, n)
		}
	}
	got := map[int]bool{}
	for _, n := range names {
		got[v.of(n)] = true
	}
	if len(got) != 3 {
		t.Fatalf("colliding names %v got voices %v", names, got)
	}
	for _, n := range names {
		if v.of(n) != v.of(n) {
			t.Fatalf("%s changed voice", n)
		}
	}
}

func TestDemoVerdict(t *testing.T) {
	sc := Demo()
	prompt := "Write the VERDICT.\n\nSeat A (x):\n*(scripted demo answer from fakellm · voice: the profiler)*\n...\n" +
		"Seat C (y):\n*(scripted demo answer from fakellm · voice: the database engineer)*\n..."
	r := sc.Func(Call{Model: "chair", Prompt: prompt})
	b := jsonBlock(t, r.Text)
	for _, k := range []string{"recommendation", "confidence", "consensus", "disagreements", "dissent", "risks", "next_steps"} {
		if b[k] == nil {
			t.Fatalf("verdict block lacks %q: %v", k, b)
		}
	}
	dissent := b["dissent"].([]any)
	if len(dissent) == 0 || !strings.HasPrefix(dissent[0].(string), "Seat C: ") {
		t.Fatalf("dissent = %v, want it attributed to Seat C (the database engineer)", dissent)
	}
	if !strings.Contains(r.Text, "## VERDICT") || strings.Contains(r.Text, "{{") {
		t.Fatalf("verdict text:\n%s", r.Text)
	}
	// Without seat labels the dissent still names a seat.
	if d := jsonBlock(t, sc.Func(Call{Model: "chair", Prompt: "VERDICT"}).Text)["dissent"].([]any); !strings.HasPrefix(d[0].(string), "Seat ") {
		t.Fatalf("dissent = %v", d)
	}
}

// Every embedded file is used, so a renamed file cannot silently go missing.
func TestDemoFilesAllUsed(t *testing.T) {
	files, _ := fs.Glob(demoFiles, "demo/*.md")
	want := len(personas)*3 + 1
	if len(files) != want {
		t.Fatalf("%d demo files, want %d: %v", len(files), want, files)
	}
	for p := range personas {
		for round := 1; round <= 3; round++ {
			demoAnswer(p, fmt.Sprintf("Round %d", round)) // panics on a missing file
		}
	}
}

// The demo streams through the server like any script.
func TestDemoOverHTTP(t *testing.T) {
	s := Start(t, Options{})
	s.Script(AnyModel, Demo())
	resp := post(t, s.URL()+"/v1/chat/completions", map[string]any{
		"model": "anything", "messages": []any{map[string]any{"role": "user", "content": DemoQuestion + "\nRound 3"}},
	})
	defer resp.Body.Close()
	text := path(decode(t, resp.Body), "choices", 0, "message", "content").(string)
	if b := jsonBlock(t, text); b["converged"] != true {
		t.Fatalf("round 3 block = %v", b)
	}
}
