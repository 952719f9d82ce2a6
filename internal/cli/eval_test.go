package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/eval"
	"github.com/parleyhq/parley/internal/fakellm"
)

const evalKey = "sk-eval-test-5d1c9a7e3b2f4086a1c7e9d3b5f70a2c"

// evalHarness runs `parley eval` in-process against fakellm, in a temporary HOME.
type evalHarness struct {
	t   *testing.T
	srv *fakellm.Server
	dir string
	env map[string]string
}

// evalPrices are the fake models' prices (USD per million tokens, in and out), set in a
// config file so that costs can be checked against the calls fakellm saw.
var evalPrices = map[string][2]float64{"a": {1, 2}, "b": {2, 4}, "c": {0.5, 1}, "d": {1, 1}}

func newEvalHarness(t *testing.T) *evalHarness {
	t.Helper()
	srv := fakellm.Start(t, fakellm.Options{RequireKey: evalKey})
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("models:\n")
	for _, m := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(&cfg, "  %s:\n    provider: openai\n    model: %s\n    price: {input: %v, output: %v}\n", m, m, evalPrices[m][0], evalPrices[m][1])
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return &evalHarness{t: t, srv: srv, dir: dir, env: map[string]string{
		"HOME":              dir,
		"XDG_CONFIG_HOME":   filepath.Join(dir, "config"),
		"XDG_DATA_HOME":     filepath.Join(dir, "data"),
		"PARLEY_CONFIG":     filepath.Join(dir, "config.yaml"),
		"PARLEY_DB":         filepath.Join(dir, "parley.db"),
		"OPENAI_BASE_URL":   srv.URL() + "/v1",
		"OPENAI_API_KEY":    evalKey,
		"PARLEY_RETRY_BASE": "20ms",
		"OLLAMA_HOST":       "127.0.0.1:1",
		"PATH":              "",
	}}
}

// run runs parley with args; ctx lets a test interrupt it as Ctrl-C would.
func (h *evalHarness) run(ctx context.Context, args ...string) evalResult {
	h.t.Helper()
	var out, errb bytes.Buffer
	io := IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return h.env[k] }}
	return evalResult{evalMain(ctx, args, io), out.String(), errb.String()}
}

type evalResult struct {
	code           int
	stdout, stderr string
}

// evalMain is Main with the eval command on the root, whether or not cli.go has
// registered it yet; the exit codes are mapped as Main maps them.
func evalMain(ctx context.Context, args []string, io IO) int {
	root := newRoot(io)
	if c, _, _ := root.Find([]string{"eval"}); c == nil || c.Name() != "eval" {
		root.AddCommand(newEvalCmd(io))
	}
	root.SetArgs(args)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	err := root.ExecuteContext(ctx)
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(io.Err, "Error: %v\n", ee.err)
		}
		if ee.hint != "" {
			fmt.Fprintf(io.Err, "Try: %s\n", ee.hint)
		}
		return ee.code
	}
	fmt.Fprintf(io.Err, "Error: %v\n", err)
	return ExitUsage
}

// The scripted panel. Item i asks for evalGold(i); each model's first-round (and vote)
// answer is right or wrong by a rule of the item alone, and a wrong answer is always
// gold+1, so wrong answers agree with each other and can win a vote.
func evalGold(i int) int { return 1000*i + 234 }

var evalRightRule = map[string]func(i int) bool{
	"a": func(int) bool { return true },       // always right
	"b": func(i int) bool { return i%3 != 0 }, // wrong on 0, 3, 6, 9
	"c": func(i int) bool { return i%4 == 0 }, // right on 0, 4, 8 only
}

// evalSCRight: model d in self-consistency is right in seats A–C on even items (3 of 5:
// a right majority) and only in seats A–B on odd ones (2 of 5: a wrong majority).
func evalSCRight(i int, seat string) bool {
	if i%2 == 0 {
		return seat <= "C"
	}
	return seat <= "B"
}

// evalFirstMajority: at least two of a, b, c right in the first round (and in the vote).
func evalFirstMajority(i int) bool {
	n := 0
	for _, m := range []string{"a", "b", "c"} {
		if evalRightRule[m](i) {
			n++
		}
	}
	return n >= 2
}

// evalVerdictRight: the chair fixes every odd item and breaks items 2 mod 4; otherwise it
// keeps the first-round majority.
func evalVerdictRight(i int) bool {
	switch {
	case i%2 == 1:
		return true
	case i%4 == 2:
		return false
	}
	return evalFirstMajority(i)
}

var (
	evalItemRe  = regexp.MustCompile(`Item (\d+):`)
	evalRoundRe = regexp.MustCompile(`# Round (\d+) of (\d+)`)
	evalSeatRe  = regexp.MustCompile(`You are seat ([A-Z]) on a panel of (\d+)`)
)

// evalCall reads a call's item, phase and seat from its prompt.
type evalCall struct {
	item, round, rounds, panel int
	seat                       string
	verdict                    bool
}

func evalCallOf(c fakellm.Call) evalCall {
	var ci evalCall
	if m := evalItemRe.FindStringSubmatch(c.Prompt); m != nil {
		ci.item, _ = strconv.Atoi(m[1])
	}
	if m := evalRoundRe.FindStringSubmatch(c.Prompt); m != nil {
		ci.round, _ = strconv.Atoi(m[1])
		ci.rounds, _ = strconv.Atoi(m[2])
	}
	if m := evalSeatRe.FindStringSubmatch(c.System); m != nil {
		ci.seat = m[1]
		ci.panel, _ = strconv.Atoi(m[2])
	}
	ci.verdict = strings.Contains(c.Prompt, "# VERDICT")
	return ci
}

// evalStrategyOf says which strategy made a call: single and vote ask one round of a
// panel of 2 (the model and the abstaining seat) or 3; self-consistency a panel of
// 5; the standard debate 3 rounds and a verdict.
func evalStrategyOf(c fakellm.Call) string {
	ci := evalCallOf(c)
	switch {
	case ci.verdict || ci.rounds == 3:
		return "standard"
	case ci.panel == 2:
		return "single:" + c.Model
	case ci.panel == 3:
		return "vote"
	}
	return "self-consistency:d"
}

func evalCommas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// evalReply is the scripted answer of model to a call: right or wrong by the rules
// above, written the way different models write numbers ($1,234, 1234, 1,234.0).
func evalReply(model string, c fakellm.Call) fakellm.Reply {
	ci := evalCallOf(c)
	var right bool
	switch {
	case ci.verdict:
		right = evalVerdictRight(ci.item)
	case ci.panel == 5:
		right = evalSCRight(ci.item, ci.seat)
	default:
		right = evalRightRule[model](ci.item)
	}
	n := evalGold(ci.item)
	if !right {
		n++
	}
	answer := map[string]string{"a": "$" + evalCommas(n), "b": strconv.Itoa(n), "c": evalCommas(n) + ".0"}[model]
	if answer == "" {
		answer = strconv.Itoa(n)
	}
	text := fmt.Sprintf("Step by step… so the result is %s.\n```json\n{\"answer\": %q, \"position\": \"%s\", \"confidence\": 80, \"changed\": false, \"converged\": false}\n```", answer, answer, answer)
	if ci.verdict {
		// Half the verdicts give an answer key, half only the recommendation.
		key := ""
		if ci.item%2 == 0 {
			key = fmt.Sprintf(", \"answer\": %q", answer)
		}
		text = fmt.Sprintf("The panel converged.\n```json\n{\"recommendation\": \"The answer is %s\", \"confidence\": 85%s, \"consensus\": [], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```", answer, key)
	}
	return fakellm.Reply{Text: text, InputTokens: 100, OutputTokens: 10}
}

func (h *evalHarness) scriptPanel(hook func(fakellm.Call)) {
	for _, m := range []string{"a", "b", "c", "d"} {
		h.srv.Script(m, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
			if hook != nil {
				hook(c)
			}
			return evalReply(m, c)
		}})
	}
}

// writeDataset writes n GSM8K-style items: a worked answer ending in "#### 1,234".
func (h *evalHarness) writeDataset(n int) string {
	var b strings.Builder
	for i := range n {
		q := fmt.Sprintf("Item %d: a farm sells %d eggs a day; how many does it sell?", i, evalGold(i))
		a := fmt.Sprintf("It sells <<%d=%d>>%d eggs.\n#### %s", evalGold(i), evalGold(i), evalGold(i), evalCommas(evalGold(i)))
		line, _ := json.Marshal(map[string]any{"question": q, "answer": a, "source": "test"})
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(h.dir, "data.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return path
}

// evalJSON is the CONTRACT's eval JSON, decoded by its key names.
type evalJSON struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Strategies []struct {
		Name         string    `json:"name"`
		Key          string    `json:"key"`
		Model        string    `json:"model"`
		Accuracy     float64   `json:"accuracy"`
		CI95         []float64 `json:"ci95"`
		N            int       `json:"n"`
		Correct      int       `json:"correct"`
		InputTokens  int       `json:"input_tokens"`
		OutputTokens int       `json:"output_tokens"`
		CostUSD      float64   `json:"cost_usd"`
		WallMS       *int64    `json:"wall_ms"`
		FirstRound   *struct {
			Accuracy float64 `json:"accuracy"`
			Fixed    int     `json:"fixed"`
			Broke    int     `json:"broke"`
		} `json:"first_round"`
	} `json:"strategies"`
	Items []struct {
		Index    int               `json:"index"`
		Question string            `json:"question"`
		Gold     string            `json:"gold"`
		Answers  map[string]string `json:"answers"`
		Correct  map[string]bool   `json:"correct"`
	} `json:"items"`
}

func decodeEval(t *testing.T, s string) evalJSON {
	t.Helper()
	var rep evalJSON
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatalf("stdout is not the eval JSON: %v\n%s", err, s)
	}
	return rep
}

// evalCallCost is what one scripted call (100 tokens in, 10 out) costs on model m.
func evalCallCost(m string) float64 { return (100*evalPrices[m][0] + 10*evalPrices[m][1]) / 1e6 }

func TestEvalScoresEveryStrategy(t *testing.T) {
	h := newEvalHarness(t)
	h.scriptPanel(nil)
	data := h.writeDataset(10)
	chart := filepath.Join(h.dir, "chart")
	res := h.run(context.Background(), "eval", data, "-m", "a,b,c", "--strategies", "single,vote,self-consistency:d,standard",
		"--format", "json", "--chart", chart, "-o", filepath.Join(h.dir, "out.json"), "--concurrency", "6")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rep := decodeEval(t, res.stdout)

	count := func(f func(i int) bool) int {
		k := 0
		for i := range 10 {
			if f(i) {
				k++
			}
		}
		return k
	}
	scMajority := func(i int) bool {
		k := 0
		for _, seat := range []string{"A", "B", "C", "D", "E"} {
			if evalSCRight(i, seat) {
				k++
			}
		}
		return k >= 3
	}
	type want struct {
		correct int
		cost    float64
		calls   int // per question
	}
	panelCost := evalCallCost("a") + evalCallCost("b") + evalCallCost("c")
	wants := map[string]want{
		"single:a":           {count(evalRightRule["a"]), 10 * evalCallCost("a"), 1},
		"single:b":           {count(evalRightRule["b"]), 10 * evalCallCost("b"), 1},
		"single:c":           {count(evalRightRule["c"]), 10 * evalCallCost("c"), 1},
		"vote":               {count(evalFirstMajority), 10 * panelCost, 3},
		"self-consistency:d": {count(scMajority), 10 * 5 * evalCallCost("d"), 5},
		// Three rounds of the panel, then the chair (seat A: model a).
		"standard": {count(evalVerdictRight), 10 * (3*panelCost + evalCallCost("a")), 10},
	}
	if len(rep.Strategies) != len(wants) {
		t.Fatalf("%d strategies, want %d", len(rep.Strategies), len(wants))
	}
	for _, s := range rep.Strategies {
		w := wants[s.Key]
		if s.N != 10 || s.Correct != w.correct || math.Abs(s.Accuracy-float64(w.correct)/10) > 1e-12 {
			t.Errorf("%s: %d of %d right, accuracy %v; want %d of 10", s.Key, s.Correct, s.N, s.Accuracy, w.correct)
		}
		lo, hi := eval.Wilson(w.correct, 10)
		if len(s.CI95) != 2 || s.CI95[0] != lo || s.CI95[1] != hi {
			t.Errorf("%s: ci95 %v, want [%v %v]", s.Key, s.CI95, lo, hi)
		}
		if math.Abs(s.CostUSD-w.cost) > 1e-12 || s.InputTokens != 100*10*w.calls || s.OutputTokens != 10*10*w.calls {
			t.Errorf("%s: $%v, %d in, %d out; want $%v, %d, %d", s.Key, s.CostUSD, s.InputTokens, s.OutputTokens, w.cost, 1000*w.calls, 100*w.calls)
		}
		if s.WallMS == nil {
			t.Errorf("%s: no wall_ms", s.Key)
		}
		if strings.HasPrefix(s.Key, "single:") != (s.Model != "" && s.Name == "single") {
			t.Errorf("%s: name %q, model %q", s.Key, s.Name, s.Model)
		}
	}
	// The hand-made sanity check behind the rules: a 10/10, b 6/10, c 3/10, vote 7/10.
	if wants["vote"].correct != 7 || wants["single:b"].correct != 6 {
		t.Fatalf("the rules changed: vote %d, b %d", wants["vote"].correct, wants["single:b"].correct)
	}

	// The debate against its own first round.
	std := rep.Strategies[len(rep.Strategies)-1]
	fixed := count(func(i int) bool { return !evalFirstMajority(i) && evalVerdictRight(i) })
	broke := count(func(i int) bool { return evalFirstMajority(i) && !evalVerdictRight(i) })
	if std.FirstRound == nil || std.FirstRound.Fixed != fixed || std.FirstRound.Broke != broke || fixed == 0 || broke == 0 ||
		std.FirstRound.Accuracy != float64(count(evalFirstMajority))/10 {
		t.Errorf("standard's first round: %+v, want fixed %d, broke %d", std.FirstRound, fixed, broke)
	}
	for _, s := range rep.Strategies[:len(rep.Strategies)-1] {
		if s.FirstRound != nil {
			t.Errorf("%s has a first_round, only debates do", s.Key)
		}
	}

	// Each item keeps the extracted answers beside the gold.
	if len(rep.Items) != 10 {
		t.Fatalf("%d items", len(rep.Items))
	}
	it := rep.Items[3] // b and c wrong: the vote says gold+1
	if it.Gold != evalCommas(evalGold(3)) || it.Answers["single:a"] != "$"+evalCommas(evalGold(3)) || it.Answers["vote"] != strconv.Itoa(evalGold(3)+1) ||
		it.Correct["vote"] || !it.Correct["single:a"] || it.Answers["standard"] != "The answer is $"+evalCommas(evalGold(3)) {
		t.Errorf("item 3: %+v", it)
	}
	if out, _ := os.ReadFile(filepath.Join(h.dir, "out.json")); string(out) != res.stdout {
		t.Error("-o did not get the printed report")
	}
	checkEvalChart(t, chart, rep)
}

// checkEvalChart checks the files --chart wrote: the accuracy chart and the
// reliability diagram, each as SVG and as a PNG of the documented size. Where each
// point lands is tested in internal/eval (TestRunnerScores), on the drawing itself.
func checkEvalChart(t *testing.T, prefix string, rep evalJSON) {
	t.Helper()
	for _, name := range []string{prefix, prefix + "-reliability"} {
		data, err := os.ReadFile(name + ".svg")
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(data, new(struct{})); err != nil || !bytes.Contains(data, []byte("<svg")) {
			t.Errorf("%s.svg is not SVG: %v", name, err)
		}
		f, err := os.Open(name + ".png")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != eval.ChartWidth*eval.PNGScale || b.Dy() != eval.ChartHeight*eval.PNGScale {
			t.Errorf("%s.png is %dx%d", name, b.Dx(), b.Dy())
		}
	}
	if len(rep.Strategies) == 0 {
		t.Error("no strategies")
	}
}

var evalResumeRe = regexp.MustCompile(`continue with:\s+parley eval --resume ([0-9a-z]+)`)

// TestEvalResumesWithoutRepeating interrupts an eval (as Ctrl-C does) after some calls,
// then resumes it: no finished (question, strategy) pair is called again, no finished
// turn of a debate cut off mid-way either, and the results are the rules' results.
func TestEvalResumesWithoutRepeating(t *testing.T) {
	h := newEvalHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	h.scriptPanel(func(c fakellm.Call) {
		if n.Add(1) == 40 {
			cancel() // Ctrl-C
		}
	})
	data := h.writeDataset(6)
	args := []string{"eval", data, "-m", "a,b,c", "--strategies", "single,vote,standard", "--concurrency", "3", "--format", "json"}
	first := h.run(ctx, args...)
	if first.code != ExitInterrupted {
		t.Fatalf("interrupted run: exit %d\n%s", first.code, first.stderr)
	}
	m := evalResumeRe.FindStringSubmatch(first.stderr)
	if m == nil || first.stdout != "" {
		t.Fatalf("no resume hint, or a report on stdout:\n%s\n%s", first.stderr, first.stdout)
	}
	id := m[1]
	cp, err := eval.Open(eval.Path(filepath.Join(h.dir, "data", "parley"), id))
	if err != nil {
		t.Fatal(err)
	}
	// What the checkpoint holds as paid for: finished pairs, and the finished turns
	// (round, seat) of debates cut off mid-way.
	done := map[string]bool{}
	for _, r := range cp.Results() {
		done[eval.JobKey(r.Item, r.Strategy)] = true
	}
	turns := map[string]bool{}
	partial := 0
	for i := range 6 {
		for _, s := range []string{"single:a", "single:b", "single:c", "vote", "standard"} {
			log := cp.Log(eval.JobKey(i, s))
			for _, e := range log {
				if e.Kind == debate.KindTurnCompleted || e.Kind == debate.KindVerdictCompleted {
					turns[fmt.Sprintf("%s round %d seat %s", eval.JobKey(i, s), e.Round, e.Seat)] = true
				}
			}
			if len(log) > 0 {
				partial++
			}
		}
	}
	cp.Close()
	if len(done) == 0 || len(done) == 6*5 {
		t.Fatalf("%d pairs finished before the interruption; the test needs some, not all", len(done))
	}
	t.Logf("interrupted with %d pairs finished, %d cut off mid-way holding %d finished turns", len(done), partial, len(turns))

	h.srv.Reset()
	second := h.run(context.Background(), "eval", "--resume", id, "--format", "json")
	if second.code != 0 {
		t.Fatalf("resumed run: exit %d\n%s", second.code, second.stderr)
	}
	for _, c := range h.srv.Calls() {
		ci := evalCallOf(c)
		k := eval.JobKey(ci.item, evalStrategyOf(c))
		round := ci.round
		if ci.verdict {
			round = 4 // the verdict is recorded as the round after the last
		}
		turn := fmt.Sprintf("%s round %d seat %s", k, round, ci.seat)
		if done[k] {
			t.Errorf("%s was finished before the interruption, and was called again", k)
		}
		if turns[turn] {
			t.Errorf("%s was answered before the interruption, and was called again", turn)
		}
	}

	rep := decodeEval(t, second.stdout)
	count := func(f func(int) bool) int {
		k := 0
		for i := range 6 {
			if f(i) {
				k++
			}
		}
		return k
	}
	wantRight := map[string]int{"single:a": count(evalRightRule["a"]), "single:b": count(evalRightRule["b"]), "single:c": count(evalRightRule["c"]),
		"vote": count(evalFirstMajority), "standard": count(evalVerdictRight)}
	for _, s := range rep.Strategies {
		if s.N != 6 || s.Correct != wantRight[s.Key] {
			t.Errorf("%s after the resume: %d of %d right, want %d of 6", s.Key, s.Correct, s.N, wantRight[s.Key])
		}
	}
	if rep.Status != eval.StatusCompleted || rep.ID != id {
		t.Errorf("status %s, id %s", rep.Status, rep.ID)
	}

	// A finished eval resumed again calls nothing and prints the same results.
	h.srv.Reset()
	third := h.run(context.Background(), "eval", "--resume", id, "--format", "json")
	if third.code != 0 || len(h.srv.Calls()) != 0 || third.stdout != second.stdout {
		t.Errorf("resuming a finished eval: exit %d, %d calls, same output %v", third.code, len(h.srv.Calls()), third.stdout == second.stdout)
	}
	// Resuming with a different panel is refused.
	if r := h.run(context.Background(), "eval", "--resume", id, "-m", "a,b"); r.code != ExitUsage || !strings.Contains(r.stderr, "was started with -m a,b,c") {
		t.Errorf("resume with another panel: exit %d\n%s", r.code, r.stderr)
	}
}

func TestEvalDataset(t *testing.T) {
	h := newEvalHarness(t)
	h.scriptPanel(nil)
	data := h.writeDataset(12)

	itemsOf := func(r evalResult) []int {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var out []int
		for _, it := range decodeEval(t, r.stdout).Items {
			out = append(out, it.Index)
		}
		return out
	}
	ctx := context.Background()
	if got := itemsOf(h.run(ctx, "eval", data, "-m", "a", "--strategies", "single", "--limit", "3", "--format", "json")); fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("--limit 3 ran items %v", got)
	}
	s1 := itemsOf(h.run(ctx, "eval", data, "-m", "a", "--strategies", "single", "--sample", "4", "--seed", "9", "--format", "json"))
	s2 := itemsOf(h.run(ctx, "eval", data, "-m", "a", "--strategies", "single", "--sample", "4", "--seed", "9", "--format", "json"))
	s3 := itemsOf(h.run(ctx, "eval", data, "-m", "a", "--strategies", "single", "--sample", "4", "--seed", "10", "--format", "json"))
	if len(s1) != 4 || fmt.Sprint(s1) != fmt.Sprint(s2) || fmt.Sprint(s1) == fmt.Sprint(s3) {
		t.Errorf("--sample 4: seed 9 gave %v then %v; seed 10 gave %v", s1, s2, s3)
	}

	// GSM8K golds with thousands separators are scored as numbers: a answers "$1,234"
	// to "#### 1,234" and must score every item.
	r := h.run(ctx, "eval", data, "-m", "a", "--strategies", "single", "--format", "json")
	if rep := decodeEval(t, r.stdout); rep.Strategies[0].Correct != 12 || rep.Items[1].Gold != "1,234" {
		t.Errorf("GSM8K scoring: %d of 12, evalGold %q", rep.Strategies[0].Correct, rep.Items[1].Gold)
	}

	// The Markdown table is the default.
	r = h.run(ctx, "eval", data, "-m", "a,b", "--strategies", "single,vote", "--limit", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "| vote | panel | ") || !strings.Contains(r.stdout, "95% CI (Wilson)") {
		t.Errorf("the table:\n%s\n%s", r.stdout, r.stderr)
	}

	bad := filepath.Join(h.dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"question\": \"q\", \"answer\": \"#### 1\"}\n\n{\"question\": \"q2\" \"answer\": 2}\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", bad, "-m", "a", "--strategies", "single"}, "bad.jsonl:3:"},
		{[]string{"eval", filepath.Join(h.dir, "missing.jsonl"), "-m", "a"}, "cannot read the data set"},
		{[]string{"eval", data, "-m", "a", "--strategies", "vote"}, "needs a panel of at least 2"},
		{[]string{"eval", data, "-m", "a,b", "--strategies", "nonsense"}, `strategy "nonsense"`},
		{[]string{"eval", data, "-m", "a", "--limit", "2", "--sample", "2"}, "both --limit and --sample"},
		{[]string{"eval", data, "-m", "nope:x", "--strategies", "single"}, "unknown provider"},
		{[]string{"eval", "--resume", "doesnotexist"}, `no eval "doesnotexist"`},
		{[]string{"eval"}, "give the data set"},
	} {
		r := h.run(ctx, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", c.args[1:], r.code, c.want, r.stderr)
		}
	}
	// --limit 3, three samples of 4, all 12, then single a, single b and a vote of
	// two on 2 items; nothing for the usage errors.
	if n := len(h.srv.Calls()); n != 3+3*4+12+(2+2+2*2) {
		t.Errorf("%d calls; a usage error must call nothing", n)
	}
}
