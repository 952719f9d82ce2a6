package eval

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/provider"
	"gonum.org/v1/plot/vg/draw"
)

func TestWilson(t *testing.T) {
	// Worked by hand from centre (p + z²/2n)/(1 + z²/n) and half-width
	// z/(1 + z²/n)·√(p(1−p)/n + z²/4n²), z = 1.959964; at 0/n and n/n these reduce to
	// [0, z²/(n+z²)] and [n/(n+z²), 1]: for n = 5, z² = 3.841459, 3.841459/8.841459.
	for _, c := range []struct {
		k, n   int
		lo, hi float64
	}{
		{7, 10, 0.396778, 0.892209},
		{0, 5, 0, 0.434482},
		{5, 5, 0.565518, 1},
		{1, 2, 0.094531, 0.905469},
		{0, 0, 0, 1},
	} {
		lo, hi := Wilson(c.k, c.n)
		if math.Abs(lo-c.lo) > 1e-6 || math.Abs(hi-c.hi) > 1e-6 {
			t.Errorf("Wilson(%d, %d) = [%.6f, %.6f], want [%.6f, %.6f]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pred, gold string
		want       bool
	}{
		{"18", "18", true},
		{"$18.00", "18", true},
		{"1234", "1,234", true},
		{"1,234", "1234", true},
		{"18 dollars", "18", true},
		{"18.0", "18", true},
		{"The answer is 18.", "18", true},
		{"She makes $18 every day", "18", true},
		{"-5", "-5", true},
		{"The change is -5", "-5", true},
		{"10-5", "-5", false},
		{"17", "18", false},
		{"", "18", false},
		{"18 or 19", "18", false},
		{"Paris", "paris", true},
		{" Paris. ", "Paris", true},
		{"London", "Paris", false},
		{"0.50", "0.5", true},
	} {
		if got := Match(c.pred, c.gold); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pred, c.gold, got, c.want)
		}
	}
}

func TestReadJSONL(t *testing.T) {
	in := `{"question": "Q one?", "answer": "Work: 1+2 = <<1+2=3>>3\n#### 1,234", "extra": 1}

{"question": "Q two?", "answer": 42}
{"question": "Q three?", "answer": "Paris"}
`
	items, err := ReadJSONL(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{0, 1, "Q one?", "1,234"}, {1, 3, "Q two?", "42"}, {2, 4, "Q three?", "Paris"}}
	if fmt.Sprint(items) != fmt.Sprint(want) {
		t.Fatalf("items = %v, want %v", items, want)
	}
	for _, c := range []struct {
		in   string
		line int
	}{
		{"{\"question\": \"a\", \"answer\": \"1\"}\n{\"question\": \"b\", \"answer\": \"2\"\n", 2},
		{"\n\n{\"answer\": \"1\"}\n", 3},
		{"{\"question\": \"a\", \"answer\": \"#### \"}\n", 1},
		{"{\"question\": \"a\"}\n", 1},
		{"[1, 2]\n", 1},
		{"{\"question\": \"a\", \"answer\": [1]}\n", 1},
	} {
		_, err := ReadJSONL(strings.NewReader(c.in))
		le, ok := err.(*LineError)
		if !ok || le.Line != c.line {
			t.Errorf("ReadJSONL(%q) error %v, want one naming line %d", c.in, err, c.line)
		}
	}
	if _, err := ReadJSONL(strings.NewReader("\n\n")); err == nil {
		t.Error("an empty data set was accepted")
	}
}

func TestSelect(t *testing.T) {
	var items []Item
	for i := range 50 {
		items = append(items, Item{Index: i, Line: i + 1, Question: fmt.Sprint("q", i), Gold: "1"})
	}
	idx := func(its []Item) []int {
		var out []int
		for _, it := range its {
			out = append(out, it.Index)
		}
		return out
	}
	if got := idx(Select(items, 3, 0, 0)); fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("limit 3: %v", got)
	}
	a, b := idx(Select(items, 0, 5, 7)), idx(Select(items, 0, 5, 7))
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) != 5 {
		t.Fatalf("seed 7 drew %v, then %v", a, b)
	}
	// The draw is part of the format: a seed must pick the same questions on every
	// Go version and machine (PCG-DXSM and this package's own shuffle).
	if fmt.Sprint(a) != "[2 4 23 33 43]" {
		t.Errorf("seed 7 drew %v; the sample of a seed changed", a)
	}
	if c := idx(Select(items, 0, 5, 8)); fmt.Sprint(c) == fmt.Sprint(a) {
		t.Errorf("seeds 7 and 8 drew the same %v", c)
	}
	for i := 1; i < len(a); i++ {
		if a[i] <= a[i-1] {
			t.Errorf("the sample is not in file order: %v", a)
		}
	}
	if got := Select(items, 0, 500, 1); len(got) != 50 {
		t.Errorf("a sample larger than the set gave %d items", len(got))
	}
}

// script is a fake panel: each model's answer for an item depends only on the
// model, the item, the phase (round number, 0 for the verdict) and the seat.
type script struct {
	answer func(model string, item, round int, seat string) string
	mu     sync.Mutex
	calls  map[string]int // "model item" → calls
}

var (
	itemRe  = regexp.MustCompile(`Item (\d+):`)
	roundRe = regexp.MustCompile(`# Round (\d+) of`)
	seatRe  = regexp.MustCompile(`You are seat ([A-Z])`)
)

func (s *script) model(name string) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, _ func(string)) (provider.Response, error) {
		item, _ := strconv.Atoi(itemRe.FindStringSubmatch(req.Prompt)[1])
		round := 0
		if m := roundRe.FindStringSubmatch(req.Prompt); m != nil {
			round, _ = strconv.Atoi(m[1])
		}
		seat := seatRe.FindStringSubmatch(req.System)[1]
		s.mu.Lock()
		s.calls[fmt.Sprint(name, " ", item)]++
		s.mu.Unlock()
		a := s.answer(name, item, round, seat)
		text := fmt.Sprintf("Working… the answer is %s.\n```json\n{\"answer\": %q, \"position\": \"%s\", \"confidence\": 80, \"changed\": false, \"converged\": false}\n```", a, a, a)
		if round == 0 {
			text = fmt.Sprintf("Verdict.\n```json\n{\"recommendation\": \"The answer is %s\", \"confidence\": 80, \"consensus\": [], \"disagreements\": [], \"dissent\": [], \"risks\": [], \"next_steps\": []}\n```", a)
		}
		return provider.Response{Text: text, Usage: provider.Usage{InputTokens: 100, OutputTokens: 10}}, nil
	})
}

func testItems(n int) []Item {
	var items []Item
	for i := range n {
		items = append(items, Item{Index: i, Line: i + 1, Question: fmt.Sprintf("Item %d: what is %d·10+7?", i, i), Gold: strconv.Itoa(10*i + 7)})
	}
	return items
}

func TestRunnerScores(t *testing.T) {
	gold := func(i int) int { return 10*i + 7 }
	right := map[string]func(i int) bool{
		"a": func(int) bool { return true },
		"b": func(i int) bool { return i%3 != 0 },
		"c": func(i int) bool { return i%4 == 0 },
	}
	// The chair (seat A, model a) fixes odd items and breaks items 2 mod 4.
	verdict := func(i int, first bool) bool {
		switch {
		case !first && i%2 == 1:
			return true
		case first && i%4 == 2:
			return false
		}
		return first
	}
	firstMajority := func(i int) bool {
		n := 0
		for _, m := range []string{"a", "b", "c"} {
			if right[m](i) {
				n++
			}
		}
		return n >= 2
	}
	sc := &script{calls: map[string]int{}, answer: func(model string, i, round int, seat string) string {
		if round == 0 {
			if verdict(i, firstMajority(i)) {
				return strconv.Itoa(gold(i))
			}
			return strconv.Itoa(gold(i) + 1)
		}
		if right[model](i) {
			return strconv.Itoa(gold(i))
		}
		return strconv.Itoa(gold(i) + 1)
	}}
	standard, _ := debate.BuiltinMode("standard")
	strategies, err := ParseStrategies([]string{"single", "vote", "standard"}, []string{"a", "b", "c"}, 5,
		func(name string) (debate.Mode, error) { return standard, nil })
	if err != nil {
		t.Fatal(err)
	}
	items := testItems(10)
	cp, err := Create(filepath.Join(t.TempDir(), "e.jsonl"), Spec{ID: "e1", Dataset: "t.jsonl", Panel: []string{"a", "b", "c"}, Strategies: strategies, Items: items})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	members := map[string]Member{}
	for _, m := range []string{"a", "b", "c"} {
		members[m] = Member{Seat: debate.Seat{Model: m}, Model: sc.model(m), Price: func(u provider.Usage) float64 { return float64(u.InputTokens+u.OutputTokens) / 1e6 }}
	}
	rep, err := (&Runner{Checkpoint: cp, Members: members, Concurrency: 3}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	count := func(f func(i int) bool) int {
		k := 0
		for i := range items {
			if f(i) {
				k++
			}
		}
		return k
	}
	want := map[string]int{
		"single:a": count(right["a"]), "single:b": count(right["b"]), "single:c": count(right["c"]),
		"vote":     count(firstMajority),
		"standard": count(func(i int) bool { return verdict(i, firstMajority(i)) }),
	}
	for _, s := range rep.Strategies {
		if s.N != 10 || s.Correct != want[s.Key] || s.Accuracy != float64(want[s.Key])/10 {
			t.Errorf("%s: %d/%d right (accuracy %v), want %d/10", s.Key, s.Correct, s.N, s.Accuracy, want[s.Key])
		}
		lo, hi := Wilson(want[s.Key], 10)
		if s.CI95 != [2]float64{lo, hi} {
			t.Errorf("%s: ci %v", s.Key, s.CI95)
		}
	}
	if t.Failed() {
		return
	}
	fr := rep.Strategies[4].FirstRound
	fixed := count(func(i int) bool { return !firstMajority(i) && verdict(i, false) })
	broke := count(func(i int) bool { return firstMajority(i) && !verdict(i, true) })
	if fr == nil || fr.Fixed != fixed || fr.Broke != broke || fr.Correct != want["vote"] || fixed == 0 || broke == 0 {
		t.Errorf("first round %+v, want fixed %d, broke %d, correct %d", fr, fixed, broke, want["vote"])
	}
	var buf bytes.Buffer
	WriteMarkdown(&buf, rep)
	t.Log(buf.String())
	kinds := map[string]string{}
	for _, s := range strategies {
		kinds[s.Key] = s.Kind
	}
	checkChart(t, rep, kinds, t.TempDir())
}

// checkChart draws the chart and reads the PNG back: at the pixel where the plot's
// own axes put each strategy's (cost per question, accuracy) is that strategy's
// colour, at both ends of its interval bar too; the SVG and the HTML page carry the
// drawing, and the PNG decodes at the documented size.
func checkChart(t *testing.T, rep *Report, kinds map[string]string, dir string) {
	t.Helper()
	p, pts, err := Chart(rep, kinds)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != len(rep.Strategies) {
		t.Fatalf("%d points for %d strategies", len(pts), len(rep.Strategies))
	}
	c := pngCanvas(p)
	img := c.Image()
	dc := p.DataCanvas(draw.New(c))
	xf, yf := p.Transforms(&dc)
	h := img.Bounds().Dy()
	// at reads the pixel dx points right of (x, y): 3 points right of a point's
	// centre is inside its dot (radius 5) but clear of its bar (width 2).
	at := func(x, y, dx float64) color.RGBA {
		px, py := int(math.Round((float64(xf(x))+dx)*PNGScale)), h-int(math.Round(float64(yf(y))*PNGScale))
		return color.RGBAModel.Convert(img.At(px, py)).(color.RGBA)
	}
	for _, pt := range pts {
		s := strategyOf(t, rep, pt.Key)
		if pt.X != s.CostPerQuestion() || pt.Accuracy != s.Accuracy || pt.CI != s.CI95 {
			t.Errorf("%s: plotted (%v, %v, %v), report says (%v, %v, %v)", pt.Key, pt.X, pt.Accuracy, pt.CI, s.CostPerQuestion(), s.Accuracy, s.CI95)
		}
		if got := at(pt.X, 100*pt.Accuracy, 3); got != pt.Color && !overlaps(pt, pts) {
			t.Errorf("%s: pixel at its point is %v, want its colour %v", pt.Key, got, pt.Color)
		}
		if sharesX(pt, pts) {
			continue // bars at one cost overlap
		}
		for _, end := range pt.CI {
			if got := at(pt.X, 100*end, 0); got != pt.Color {
				t.Errorf("%s: pixel at its bar's end %v is %v, want %v", pt.Key, end, got, pt.Color)
			}
		}
	}
	files, err := WriteCharts(rep, kinds, filepath.Join(dir, "chart"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Errorf("wrote %v, want the chart and the reliability diagram, SVG and PNG", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".svg") {
			if err := xml.Unmarshal(data, new(struct{})); err != nil || !bytes.Contains(data, []byte("<svg")) {
				t.Errorf("%s is not SVG: %v", f, err)
			}
			continue
		}
		im, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s does not decode: %v", f, err)
		}
		if b := im.Bounds(); b.Dx() != ChartWidth*PNGScale || b.Dy() != ChartHeight*PNGScale {
			t.Errorf("%s is %v, want %dx%d", f, b, ChartWidth*PNGScale, ChartHeight*PNGScale)
		}
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, rep, kinds); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page.String(), `src="data:image/svg+xml;base64,`); n != 2 || !strings.Contains(page.String(), "<table>") {
		t.Errorf("the HTML page has %d embedded charts (want 2) or no table", n)
	}
}

// sharesX: another strategy has the same cost per question.
func sharesX(p ChartPoint, pts []ChartPoint) bool {
	for _, q := range pts {
		if q.Key != p.Key && math.Abs(q.X-p.X) < 1e-12 {
			return true
		}
	}
	return false
}

// overlaps: another strategy's point sits on this one (same cost and accuracy), so
// the pixel shows whichever was drawn last.
func overlaps(p ChartPoint, pts []ChartPoint) bool {
	for _, q := range pts {
		if q.Key != p.Key && math.Abs(q.X-p.X) < 1e-12 && q.Accuracy == p.Accuracy {
			return true
		}
	}
	return false
}

func TestCheckpointTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.jsonl")
	cp, err := Create(path, Spec{ID: "e", Items: testItems(2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err != ErrBusy {
		t.Errorf("a second Open while the eval is open: %v, want ErrBusy", err)
	}
	if err := cp.AppendResult(Result{Item: 0, Strategy: "vote", Answer: "7"}); err != nil {
		t.Fatal(err)
	}
	cp.Close()
	// The process died halfway through writing a line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"type":"result","result":{"item":1,"strategy":"vo`)
	f.Close()
	cp, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := cp.Results(); len(r) != 1 || r[0].Answer != "7" || !cp.Done(JobKey(0, "vote")) || cp.Done(JobKey(1, "vote")) {
		t.Fatalf("after a torn line: %+v", r)
	}
	if err := cp.AppendResult(Result{Item: 1, Strategy: "vote", Answer: "17"}); err != nil {
		t.Fatal(err)
	}
	cp.Close()
	cp, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if r := cp.Results(); len(r) != 2 || r[1].Answer != "17" {
		t.Fatalf("the line written after the cut: %+v", r)
	}

	// Damage in the middle is not a torn tail: refuse rather than guess.
	data, _ := os.ReadFile(path)
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, bytes.Replace(data, []byte(`"type":"result"`), []byte(`"type":"res`), 1), 0o600)
	if _, err := Open(bad); err == nil {
		t.Error("a damaged middle line was accepted")
	}
}

// TestResumeMidDebate interrupts a standard debate during its second round and
// resumes it: the first round's paid-for turns are not called again.
func TestResumeMidDebate(t *testing.T) {
	standard, _ := debate.BuiltinMode("standard")
	strategies, _ := ParseStrategies([]string{"standard"}, []string{"a", "b", "c"}, 1, func(string) (debate.Mode, error) { return standard, nil })
	path := filepath.Join(t.TempDir(), "e.jsonl")
	cp, err := Create(path, Spec{ID: "e", Panel: []string{"a", "b", "c"}, Strategies: strategies, Items: testItems(1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	calls := map[string]int{} // "model round" → calls
	interrupt := true
	members := map[string]Member{}
	for _, m := range []string{"a", "b", "c"} {
		inner := (&script{calls: map[string]int{}, answer: func(string, int, int, string) string { return "7" }}).model(m)
		members[m] = Member{Seat: debate.Seat{Model: m}, Model: provider.Func(func(c context.Context, req provider.Request, d func(string)) (provider.Response, error) {
			round := 0
			if mm := roundRe.FindStringSubmatch(req.Prompt); mm != nil {
				round, _ = strconv.Atoi(mm[1])
			}
			mu.Lock()
			calls[fmt.Sprint(m, " ", round)]++
			stop := interrupt && round == 2
			mu.Unlock()
			if stop {
				cancel() // Ctrl-C while round 2 is being answered
				<-c.Done()
				return provider.Response{}, c.Err()
			}
			return inner.Generate(c, req, d)
		})}
	}
	if _, err := (&Runner{Checkpoint: cp, Members: members}).Run(ctx); err != ErrInterrupted {
		t.Fatalf("Run: %v, want ErrInterrupted", err)
	}
	cp.Close()
	mu.Lock()
	interrupt = false
	mu.Unlock()
	cp, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if len(cp.Log(JobKey(0, "standard"))) == 0 {
		t.Fatal("the unfinished debate's events were not kept")
	}
	rep, err := (&Runner{Checkpoint: cp, Members: members}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"a", "b", "c"} {
		if n := calls[m+" 1"]; n != 1 {
			t.Errorf("model %s answered round 1 %d times", m, n)
		}
		if n := calls[m+" 3"]; n != 1 {
			t.Errorf("model %s answered round 3 %d times", m, n)
		}
	}
	if s := rep.Strategies[0]; s.N != 1 || s.Correct != 1 || rep.Status != StatusCompleted {
		t.Errorf("after the resume: %+v, status %s", s, rep.Status)
	}
}
