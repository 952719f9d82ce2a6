package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
)

// scored is one verdict of a scripted eval: its stated confidence and whether it was
// right.
type scored struct {
	conf  int
	right bool
}

// writeEval stores an eval under dataDir the way the runner does (Create, then one
// AppendResult per verdict): the given verdicts for each strategy, item i's gold
// answer being 10i+7.
func writeEval(t *testing.T, dataDir, id string, created time.Time, panel, strategies []string, verdicts map[string][]scored) {
	t.Helper()
	n := 0
	for _, vs := range verdicts {
		n = max(n, len(vs))
	}
	var items []Item
	for i := range n {
		items = append(items, Item{Index: i, Line: i + 1, Question: fmt.Sprintf("what is %d·10+7?", i), Gold: strconv.Itoa(10*i + 7)})
	}
	var ss []Strategy
	for _, name := range strategies {
		kind := KindDebate
		if name == KindVote {
			kind = KindVote
		}
		ss = append(ss, Strategy{Key: name, Name: name, Kind: kind})
	}
	cp, err := Create(Path(dataDir, id), Spec{ID: id, CreatedAt: created, Panel: panel, Strategies: ss, Items: items})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	for key, vs := range verdicts {
		for i, v := range vs {
			answer := strconv.Itoa(10*i + 7)
			if !v.right {
				answer = "-1"
			}
			c := v.conf
			if err := cp.AppendResult(Result{Item: i, Strategy: key, Status: debate.StatusCompleted, Answer: answer, Confidence: &c}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func repeat(n int, v scored) []scored {
	out := make([]scored, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestLookupCalibrationByConstruction: the newest eval of the panel gave 10 standard
// verdicts at 80%, 6 of them right, and 4 at 30%, 1 right. A verdict stated at 80 (or
// 85: the same tenth) is therefore 60% calibrated on 10 samples, one at 30 is 25% on
// 4. The strategy's Brier score is the mean squared error over all 14:
//
//	6 × (0.8−1)² = 6 × 0.04 = 0.24     4 × (0.8−0)² = 4 × 0.64 = 2.56
//	1 × (0.3−1)² = 1 × 0.49 = 0.49     3 × (0.3−0)² = 3 × 0.09 = 0.27
//	(0.24 + 2.56 + 0.49 + 0.27) / 14 = 3.56 / 14 = 0.254285714…
//
// Around it are evals the lookup must pass over: an older one of the same panel
// (all right, so choosing it would say 100%), a newer one of another panel, a newer
// one without the standard strategy, a file that is not an eval, and a torn last
// line (a result being written).
func TestLookupCalibrationByConstruction(t *testing.T) {
	dir := t.TempDir()
	panel := []string{"x:a", "x:b", "x:c"}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	newest := append(append(repeat(6, scored{80, true}), repeat(4, scored{80, false})...), scored{30, true}, scored{30, false}, scored{30, false}, scored{30, false})
	writeEval(t, dir, "ev-new", t0.Add(2*time.Hour), []string{"x:c", "x:a", "x:b"}, []string{"vote", "standard"}, map[string][]scored{
		"standard": newest,
		"vote":     repeat(10, scored{80, true}),
	})
	writeEval(t, dir, "ev-old", t0, panel, []string{"standard"}, map[string][]scored{"standard": repeat(10, scored{80, true})})
	writeEval(t, dir, "ev-other-panel", t0.Add(3*time.Hour), []string{"x:a", "x:b"}, []string{"standard"}, map[string][]scored{"standard": repeat(10, scored{80, false})})
	writeEval(t, dir, "ev-twice", t0.Add(3*time.Hour), []string{"x:a", "x:a", "x:b", "x:c"}, []string{"standard"}, map[string][]scored{"standard": repeat(10, scored{80, false})})
	writeEval(t, dir, "ev-vote-only", t0.Add(4*time.Hour), panel, []string{"vote"}, map[string][]scored{"vote": repeat(5, scored{80, false})})
	if err := os.WriteFile(filepath.Join(dir, "evals", "zz-broken.jsonl"), []byte("not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(Path(dir, "ev-new"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"result","result":{"item":0,"strategy":"standard","status":"completed","answer":"-1","confidence":80`)
	f.Close()

	const brier = 3.56 / 14
	for _, tc := range []struct {
		strategy string
		stated   int
		want     string // "%d%% on %d, Brier %.6f, %s"; "" for nil
	}{
		{"standard", 80, fmt.Sprintf("60%% on 10, Brier %.6f, ev-new", brier)},
		{"standard", 85, fmt.Sprintf("60%% on 10, Brier %.6f, ev-new", brier)},
		{"standard", 30, fmt.Sprintf("25%% on 4, Brier %.6f, ev-new", brier)},
		{"standard", 55, ""}, // no verdict of the newest eval in [0.5, 0.6)
		// The newest eval with a vote strategy on this panel: 5 at 80%, all wrong,
		// Brier 0.64.
		{"vote", 80, "0% on 5, Brier 0.640000, ev-vote-only"},
		{"critique", 80, ""},
	} {
		got, err := LookupCalibration(dir, panel, tc.strategy, tc.stated)
		if err != nil {
			t.Fatalf("%s at %d: %v", tc.strategy, tc.stated, err)
		}
		s := ""
		if got != nil {
			s = fmt.Sprintf("%d%% on %d, Brier %.6f, %s", got.Calibrated, got.Samples, got.Brier, got.EvalID)
			if got.Stated != tc.stated || got.Strategy != tc.strategy {
				t.Errorf("%s at %d: stated %d, strategy %q", tc.strategy, tc.stated, got.Stated, got.Strategy)
			}
		}
		if s != tc.want {
			t.Errorf("%s at %d: got %q, want %q", tc.strategy, tc.stated, s, tc.want)
		}
	}
}

// Without any stored eval, or for a panel no eval ran, there is nothing to say.
func TestLookupCalibrationNone(t *testing.T) {
	dir := t.TempDir()
	if got, err := LookupCalibration(dir, []string{"x:a", "x:b"}, "standard", 80); got != nil || err != nil {
		t.Errorf("no evals dir: %+v, %v", got, err)
	}
	writeEval(t, dir, "ev", time.Now(), []string{"x:a", "x:b", "x:c"}, []string{"standard"}, map[string][]scored{"standard": repeat(3, scored{80, true})})
	if got, err := LookupCalibration(dir, []string{"x:a", "x:b"}, "standard", 80); got != nil || err != nil {
		t.Errorf("another panel: %+v, %v", got, err)
	}
}
