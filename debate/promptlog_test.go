package debate

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/provider"
)

// The log stores a prompt that quotes earlier answers without them, and the record
// folded from the stored log gives every prompt back byte for byte.
func TestStoredPromptsQuoteAnswersByReference(t *testing.T) {
	models := map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": answerer("C", 0)}
	d := newDebate(t, models, map[string]string{"A": "fake:a", "B": "fake:b", "C": "fake:c"})
	var stored []Event // as a store holds them: JSON
	var mu sync.Mutex
	_, err := Run(context.Background(), d, func(e Event) error {
		mu.Lock()
		defer mu.Unlock()
		if !e.Kind.Stored() {
			return nil
		}
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			return err
		}
		stored = append(stored, back)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := map[[2]string]string{} // (seat, round or "verdict") -> the prompt the model got
	for seat, m := range models {
		for _, req := range m.(*scripted).requests() {
			r := "verdict"
			if n := roundOf(req); n > 0 {
				r = string(rune('0' + n))
			}
			sent[[2]string{seat, r}] = req.Prompt
		}
	}

	rec := Replay(stored)
	checked, referenced := 0, 0
	for _, e := range stored {
		if e.Turn == nil || (e.Kind != KindTurnCompleted && e.Kind != KindVerdictCompleted) {
			continue
		}
		key := [2]string{e.Seat, string(rune('0' + e.Round))}
		var got string
		if e.Kind == KindVerdictCompleted {
			key[1] = "verdict"
			got = e.Turn.PromptText(rec.Answer)
		} else {
			tr, ok := rec.Turn(e.Round, e.Seat)
			if !ok {
				t.Fatalf("no turn %d %s in the record", e.Round, e.Seat)
			}
			got = rec.PromptOf(tr)
		}
		want, ok := sent[key]
		if !ok {
			t.Fatalf("no request for %v", key)
		}
		if got != want {
			t.Fatalf("%v: the prompt from the log differs from the one sent\n got  %q\n want %q", key, got, want)
		}
		checked++
		if e.Round > 1 || e.Kind == KindVerdictCompleted {
			if e.Turn.Prompt != "" || len(e.Turn.PromptPieces) == 0 {
				t.Errorf("%v: stored whole (%d bytes), not by reference", key, len(e.Turn.Prompt))
				continue
			}
			refs, literal, quoted := 0, 0, 0
			for _, p := range e.Turn.PromptPieces {
				if p.Round > 0 {
					refs++
					q, _ := rec.Turn(p.Round, p.Seat)
					quoted += len(q.Text)
				}
				literal += len(p.Text)
			}
			// Round 2 of standard quotes the two others and (critique) maybe its own;
			// the verdict all three.
			if refs < 2 {
				t.Errorf("%v: %d answers taken out, want at least 2: %+v", key, refs, e.Turn.PromptPieces)
			}
			// What is stored is the prompt less the answers, nothing of them.
			if literal != len(want)-quoted || quoted < 2*minQuoted {
				t.Errorf("%v: %d bytes of text and %d quoted, for a %d-byte prompt", key, literal, quoted, len(want))
			}
			referenced++
		} else if e.Turn.PromptPieces != nil {
			t.Errorf("round 1 quotes nothing, yet has pieces: %+v", e.Turn.PromptPieces)
		}
	}
	if checked < 10 || referenced < 7 {
		t.Fatalf("checked %d prompts, %d by reference: the debate did not run as expected", checked, referenced)
	}
}

func TestPromptPiecesLeaveWhatTheyCannotTakeOut(t *testing.T) {
	long := func(s string) string { return strings.Repeat(s, 200) }
	a, b := long("a"), long("ab")
	cases := []struct {
		name   string
		prompt string
		qs     []quoted
		refs   int
	}{
		{"none quoted", "just a question", []quoted{{1, "A", a}}, 0},
		{"short answer stays", "x 42 y", []quoted{{1, "A", "42"}}, 0},
		{"two answers", "head\n" + a + "\nmid\n" + b + "\ntail", []quoted{{1, "B", b}, {1, "A", a}}, 2},
		{"same text twice, one seat each", a + a, []quoted{{1, "A", a}, {1, "B", a}}, 1},
		{"one inside another", "<" + a + "b" + ">", []quoted{{1, "A", a + "b"}, {1, "B", a}}, 1},
		{"defanged: not the recorded text", "<" + strings.ReplaceAll(b, "ab", "··") + ">", []quoted{{1, "A", b}}, 0},
		{"whole prompt", a, []quoted{{2, "C", a}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tr Turn
			tr.setPrompt(c.prompt, c.qs)
			refs := 0
			for _, p := range tr.PromptPieces {
				if p.Round > 0 {
					refs++
				}
			}
			if refs != c.refs {
				t.Errorf("%d references, want %d: %+v", refs, c.refs, tr.PromptPieces)
			}
			got := tr.PromptText(func(round int, seat string) (string, bool) {
				for _, q := range c.qs {
					if q.round == round && q.seat == seat {
						return q.text, true
					}
				}
				return "", false
			})
			if got != c.prompt {
				t.Errorf("put back together: %q, want %q", got, c.prompt)
			}
		})
	}
	// An answer the log lacks is marked, not silently dropped.
	tr := Turn{PromptPieces: []PromptPiece{{Text: "before "}, {Round: 3, Seat: "D"}}}
	if got := tr.PromptText(nil); !strings.Contains(got, "seat D in round 3") {
		t.Errorf("missing answer: %q", got)
	}
}

// Whatever the prompt and the answers, the pieces give the prompt back.
func FuzzPromptPieces(f *testing.F) {
	f.Add("head ", "an answer that is long enough to be taken out of the prompt, surely, yes it is long enough now, more than that", " mid ", "second", 3)
	f.Add("", "x", "", "x", 0)
	f.Fuzz(func(t *testing.T, head, a, mid, b string, rep int) {
		if rep < 0 || rep > 300 {
			rep = 1
		}
		a = strings.Repeat(a, rep)
		prompt := head + a + mid + b + a + head
		qs := []quoted{{1, "A", a}, {1, "B", b}, {2, "C", mid}}
		var tr Turn
		tr.setPrompt(prompt, qs)
		got := tr.PromptText(func(round int, seat string) (string, bool) {
			for _, q := range qs {
				if q.round == round && q.seat == seat {
					return q.text, true
				}
			}
			return "", false
		})
		if got != prompt {
			t.Fatalf("put back together: %q, want %q (pieces %+v)", got, prompt, tr.PromptPieces)
		}
	})
}
