package report_test

import (
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/report"
)

// node is a generic XML element, enough to walk the chart's markup.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) num(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

func (n node) hasClass(c string) bool {
	for _, f := range strings.Fields(n.attr("class")) {
		if f == c {
			return true
		}
	}
	return false
}

// text is all the character data under n (n's own first, then its children's).
func (n node) text() string {
	s := n.Text
	for _, c := range n.Nodes {
		s += c.text()
	}
	return s
}

// find returns every element under n (n included) for which match holds.
func (n node) find(match func(node) bool) []node {
	var out []node
	if match(n) {
		out = append(out, n)
	}
	for _, c := range n.Nodes {
		out = append(out, c.find(match)...)
	}
	return out
}

func parseChart(t *testing.T, rec *debate.Record) node {
	t.Helper()
	var fig node
	if err := xml.Unmarshal([]byte(report.Chart(rec)), &fig); err != nil {
		t.Fatalf("the chart is not well-formed markup: %v", err)
	}
	if fig.XMLName.Local != "figure" {
		t.Fatalf("the chart is a <%s>, want a <figure>", fig.XMLName.Local)
	}
	return fig
}

func tag(name string) func(node) bool {
	return func(n node) bool { return n.XMLName.Local == name }
}

// axes reads the chart's own scale: the y of the 0% and 100% grid labels and the x of
// each "Round N" label. The markers must agree with what the axes say.
type axes struct {
	y0, y100 float64
	x        map[int]float64
}

func readAxes(t *testing.T, svg node) axes {
	t.Helper()
	ax := axes{x: map[int]float64{}, y0: math.NaN(), y100: math.NaN()}
	for _, tx := range svg.find(tag("text")) {
		s := strings.TrimSpace(tx.text())
		switch {
		case s == "0%":
			ax.y0 = tx.num(t, "y")
		case s == "100%":
			ax.y100 = tx.num(t, "y")
		case strings.HasPrefix(s, "Round "):
			n, err := strconv.Atoi(strings.TrimPrefix(s, "Round "))
			if err == nil {
				ax.x[n] = tx.num(t, "x")
			}
		}
	}
	if math.IsNaN(ax.y0) || math.IsNaN(ax.y100) || ax.y100 >= ax.y0 {
		t.Fatalf("the y axis is missing or upside down: 0%% at %v, 100%% at %v", ax.y0, ax.y100)
	}
	return ax
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.06 }

func TestChartPointsMatchConfidences(t *testing.T) {
	rec := goldenRecord(t)
	fig := parseChart(t, rec)
	svgs := fig.find(tag("svg"))
	if len(svgs) == 0 {
		t.Fatal("no <svg>")
	}
	svg := svgs[0]
	ax := readAxes(t, svg)
	if len(ax.x) != len(rec.Rounds) {
		t.Fatalf("%d round labels, want %d", len(ax.x), len(rec.Rounds))
	}

	// The documented geometry: viewBox 480×258, plot from x=48 to 450 and y=12 (100%)
	// to 212 (0%), rounds centred in equal bands. Seat A said 80 in round 2 of 3.
	if got := svg.attr("viewBox"); got != "0 0 480 258" {
		t.Fatalf("viewBox %q", got)
	}
	if !near(ax.x[2], 249) || !near(ax.y0, 212) || !near(ax.y100, 12) {
		t.Fatalf("axes: round 2 at x=%v, 0%% at y=%v, 100%% at y=%v; want 249, 212, 12", ax.x[2], ax.y0, ax.y100)
	}

	series := svg.find(func(n node) bool { return n.hasClass("series") })
	if len(series) != len(rec.Panel) {
		t.Fatalf("%d series, want one per seat (%d)", len(series), len(rec.Panel))
	}
	checked := 0
	for _, s := range series {
		seat := s.attr("data-seat")
		marks := map[int]node{}
		for _, c := range s.find(tag("circle")) {
			r, _ := strconv.Atoi(c.attr("data-round"))
			marks[r] = c
		}
		for _, r := range rec.Rounds {
			turn, ok := rec.Turn(r.Number, seat)
			c, drawn := marks[r.Number]
			if !ok || !turn.OK() || turn.Confidence == nil {
				if drawn {
					t.Errorf("seat %s round %d has no confidence but a marker", seat, r.Number)
				}
				continue
			}
			if !drawn {
				t.Errorf("seat %s round %d (confidence %d) has no marker", seat, r.Number, *turn.Confidence)
				continue
			}
			wantX := ax.x[r.Number]
			wantY := ax.y0 + (ax.y100-ax.y0)*float64(*turn.Confidence)/100
			if gx, gy := c.num(t, "cx"), c.num(t, "cy"); !near(gx, wantX) || !near(gy, wantY) {
				t.Errorf("seat %s round %d confidence %d drawn at (%v, %v), want (%v, %v)", seat, r.Number, *turn.Confidence, gx, gy, wantX, wantY)
			}
			if c.hasClass("flip") != turn.Changed {
				t.Errorf("seat %s round %d: changed=%v but the marker's class is %q", seat, r.Number, turn.Changed, c.attr("class"))
			}
			checked++
		}
		if seat == "A" {
			if c := marks[2]; !near(c.num(t, "cx"), 249) || !near(c.num(t, "cy"), 52) {
				t.Errorf("seat A's 80 in round 2 is at (%s, %s), want (249, 52)", c.attr("cx"), c.attr("cy"))
			}
		}
	}
	if checked != 8 {
		t.Errorf("checked %d markers, want 8 (9 turns, one failed)", checked)
	}
}

// pathPoints splits an SVG path of M and L commands into its subpaths.
func pathPoints(t *testing.T, d string) [][][2]float64 {
	t.Helper()
	var subs [][][2]float64
	f := strings.Fields(strings.NewReplacer("M", " M ", "L", " L ").Replace(d))
	for i := 0; i < len(f); {
		cmd := f[i]
		if i+2 >= len(f) {
			t.Fatalf("bad path %q", d)
		}
		x, err1 := strconv.ParseFloat(f[i+1], 64)
		y, err2 := strconv.ParseFloat(f[i+2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad path %q", d)
		}
		switch cmd {
		case "M":
			subs = append(subs, [][2]float64{{x, y}})
		case "L":
			if len(subs) == 0 {
				t.Fatalf("path %q draws before moving", d)
			}
			subs[len(subs)-1] = append(subs[len(subs)-1], [2]float64{x, y})
		default:
			t.Fatalf("unexpected command %q in %q", cmd, d)
		}
		i += 3
	}
	return subs
}

// A line joins only answers of consecutive rounds: a failed turn leaves a gap.
func checkGaps(t *testing.T, rec *debate.Record, svg node) {
	t.Helper()
	ax := readAxes(t, svg)
	roundAt := func(x float64) int {
		for n, rx := range ax.x {
			if near(rx, x) {
				return n
			}
		}
		t.Fatalf("a line point at x=%v is on no round", x)
		return 0
	}
	for _, s := range svg.find(func(n node) bool { return n.hasClass("series") }) {
		for _, p := range s.find(tag("path")) {
			if !p.hasClass("line") {
				continue
			}
			for _, sub := range pathPoints(t, p.attr("d")) {
				for k := 1; k < len(sub); k++ {
					a, b := roundAt(sub[k-1][0]), roundAt(sub[k][0])
					if b != a+1 {
						t.Errorf("seat %s: the line joins round %d to round %d across a gap", s.attr("data-seat"), a, b)
					}
					for _, n := range []int{a, b} {
						tr, _ := rec.Turn(n, s.attr("data-seat"))
						if !tr.OK() || tr.Confidence == nil {
							t.Errorf("seat %s: the line passes through round %d, which has no confidence", s.attr("data-seat"), n)
						}
					}
				}
			}
		}
	}
}

func TestChartFailedTurnLeavesAGap(t *testing.T) {
	rec := goldenRecord(t)
	svg := parseChart(t, rec).find(tag("svg"))[0]
	checkGaps(t, rec, svg)

	// Seat C failed round 2: its line cannot run from round 1 to round 3, and round 2
	// carries a failure mark instead of a point.
	var c node
	for _, s := range svg.find(func(n node) bool { return n.hasClass("series") }) {
		if s.attr("data-seat") == "C" {
			c = s
		}
	}
	for _, p := range c.find(tag("path")) {
		if p.hasClass("line") {
			t.Errorf("seat C's answers are rounds 1 and 3 only, yet a line is drawn: %q", p.attr("d"))
		}
	}
	fails := c.find(func(n node) bool { return n.hasClass("fail") })
	if len(fails) != 1 || fails[0].attr("data-round") != "2" {
		t.Errorf("seat C: %d failure marks, want one in round 2", len(fails))
	} else if !strings.Contains(fails[0].text(), "rate_limited") {
		t.Errorf("the failure mark does not say why: %q", fails[0].text())
	}

	// Seats A and B answered every round: one unbroken line each, through 3 points.
	for _, s := range svg.find(func(n node) bool { return n.hasClass("series") }) {
		if s.attr("data-seat") == "C" {
			continue
		}
		lines := s.find(func(n node) bool { return n.hasClass("line") })
		if len(lines) != 1 {
			t.Fatalf("seat %s: %d lines", s.attr("data-seat"), len(lines))
		}
		if subs := pathPoints(t, lines[0].attr("d")); len(subs) != 1 || len(subs[0]) != 3 {
			t.Errorf("seat %s: line %q, want one run through 3 rounds", s.attr("data-seat"), lines[0].attr("d"))
		}
	}
}

// A gap in the middle of a longer run splits the line into two subpaths.
func TestChartGapSplitsTheLine(t *testing.T) {
	c := func(n int) *int { return &n }
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := []debate.Event{{DebateID: "g", Seq: 1, At: at, Kind: debate.KindDebateStarted, Started: &debate.Started{Spec: debate.Spec{Problem: "p", Mode: "deep"}, Panel: []debate.Seat{{Seat: "A", Model: "m:a"}, {Seat: "B", Model: "m:b"}}}}}
	seq := 1
	add := func(e debate.Event) {
		seq++
		e.DebateID, e.Seq, e.At = "g", seq, at
		ev = append(ev, e)
	}
	confs := []*int{c(10), c(20), nil, c(40), c(50)} // seat A's round 3 fails
	for n := 1; n <= 5; n++ {
		add(debate.Event{Kind: debate.KindRoundStarted, Round: n, RoundKind: "critique"})
		if confs[n-1] == nil {
			add(debate.Event{Kind: debate.KindTurnFailed, Round: n, Seat: "A", Turn: &debate.Turn{ErrorClass: "timeout", Error: "timeout: no answer", Attempts: 4}})
		} else {
			add(debate.Event{Kind: debate.KindTurnCompleted, Round: n, Seat: "A", Turn: &debate.Turn{Text: "x", Reply: debate.Reply{Position: "p", Confidence: confs[n-1]}}})
		}
		// Seat B's round 4 answer has no readable confidence: a gap too, without a failure mark.
		var bc *int
		if n != 4 {
			bc = c(90)
		}
		add(debate.Event{Kind: debate.KindTurnCompleted, Round: n, Seat: "B", Turn: &debate.Turn{Text: "y", Reply: debate.Reply{Position: "q", Confidence: bc}}})
		add(debate.Event{Kind: debate.KindRoundCompleted, Round: n})
	}
	rec := debate.Replay(ev)
	svg := parseChart(t, rec).find(tag("svg"))[0]
	checkGaps(t, rec, svg)
	want := map[string][]int{"A": {2, 2}, "B": {3}}
	for _, s := range svg.find(func(n node) bool { return n.hasClass("series") }) {
		var got []int
		for _, p := range s.find(func(n node) bool { return n.hasClass("line") }) {
			for _, sub := range pathPoints(t, p.attr("d")) {
				got = append(got, len(sub))
			}
		}
		if w := want[s.attr("data-seat")]; len(got) != len(w) || (len(got) > 0 && got[0] != w[0]) || (len(got) > 1 && got[1] != w[1]) {
			t.Errorf("seat %s: runs of %v points, want %v", s.attr("data-seat"), got, w)
		}
		fails := len(s.find(func(n node) bool { return n.hasClass("fail") }))
		if wantFails := map[string]int{"A": 1, "B": 0}[s.attr("data-seat")]; fails != wantFails {
			t.Errorf("seat %s: %d failure marks, want %d", s.attr("data-seat"), fails, wantFails)
		}
	}
}

func TestChartLegendNamesEverySeat(t *testing.T) {
	rec := goldenRecord(t)
	fig := parseChart(t, rec)
	caps := fig.find(tag("figcaption"))
	if len(caps) != 1 {
		t.Fatalf("%d legends", len(caps))
	}
	// Each seat's key: <li data-seat="A"><svg …/> <b>A</b> openai:gpt-5</li>.
	keys := map[string]string{}
	for _, li := range caps[0].find(tag("li")) {
		if s := li.attr("data-seat"); s != "" {
			var bold string
			for _, b := range li.find(tag("b")) {
				bold += b.text()
			}
			keys[s] = bold + " " + strings.TrimSpace(li.Text)
		}
	}
	for _, s := range rec.Panel {
		if got, want := keys[s.Seat], s.Seat+" "+s.Model; got != want {
			t.Errorf("legend for seat %s: %q, want %q", s.Seat, got, want)
		}
	}
	if len(keys) != len(rec.Panel) {
		t.Errorf("legend has %d seats, the panel %d", len(keys), len(rec.Panel))
	}
	legend := caps[0].text()
	for _, want := range []string{"changed position", "failed turn"} {
		if !strings.Contains(legend, want) {
			t.Errorf("the legend does not explain %q", want)
		}
	}
	// The lines are labelled at their ends too, so the chart reads without the legend.
	svg := fig.find(tag("svg"))[0]
	ends := map[string]bool{}
	for _, tx := range svg.find(func(n node) bool { return n.hasClass("end") }) {
		ends[tx.text()] = true
	}
	for _, s := range rec.Panel {
		if !ends[s.Seat] {
			t.Errorf("no end label for seat %s", s.Seat)
		}
	}
}

func TestChartEscapesNames(t *testing.T) {
	rec := goldenRecord(t)
	rec.Panel[0].Model = `evil"><script>alert(1)</script>`
	fig := parseChart(t, rec) // still well-formed
	if strings.Contains(string(report.Chart(rec)), "<script") {
		t.Fatal("a model name became markup")
	}
	if got := fig.find(func(n node) bool { return n.attr("data-seat") == "A" && n.XMLName.Local == "li" }); len(got) != 1 || !strings.Contains(got[0].text(), "<script>") {
		t.Error("the model name is not shown as text in the legend")
	}
}

func TestChartEmpty(t *testing.T) {
	if got := report.Chart(&debate.Record{}); got != "" {
		t.Errorf("a debate without rounds draws %q", got)
	}
}
