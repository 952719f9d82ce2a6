package eval

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The accuracy-against-cost chart: one point per strategy at (mean cost of a question,
// accuracy), with its 95% interval as a vertical bar. It is built once as a list of
// shapes in layout units, then written as SVG (text in the reader's monospace font)
// or rasterised to PNG by this package's own small renderer and bitmap font, so the
// two files always show the same picture.

// Chart geometry, in layout units. The PNG is PNGScale pixels per unit.
const (
	ChartWidth  = 720
	ChartHeight = 450
	PNGScale    = 2

	plotLeft   = 64
	plotRight  = ChartWidth - 24
	plotTop    = 74
	plotBottom = ChartHeight - 56
)

type rgb struct{ r, g, b uint8 }

func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

func hexColor(s string) rgb {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	return rgb{uint8(v >> 16), uint8(v >> 8), uint8(v)}
}

var (
	ink      = hexColor("#222222")
	muted    = hexColor("#666666")
	gridLine = hexColor("#e3e3e3")
	white    = rgb{255, 255, 255}
)

// Okabe–Ito colours, distinct under the common colour-vision deficiencies; one per
// kind of strategy, the debate modes cycling through the rest.
var (
	kindColor = map[string]rgb{
		KindSingle:          hexColor("#0072B2"),
		KindVote:            hexColor("#E69F00"),
		KindSelfConsistency: hexColor("#009E73"),
	}
	debateColors = []rgb{hexColor("#D55E00"), hexColor("#CC79A7"), hexColor("#56B4E9"), hexColor("#000000")}
)

// Shapes. attrs are extra SVG attributes (class, data-*) that let a test read the
// drawing back; the rasteriser ignores them.
type (
	lineShape struct {
		x1, y1, x2, y2, width float64
		color                 rgb
		dash                  bool
		attrs                 [][2]string
	}
	rectShape struct {
		x, y, w, h float64
		color      rgb
		opacity    float64 // 0 means 1
	}
	circleShape struct {
		cx, cy, r float64
		fill      rgb
		stroke    rgb
		strokeW   float64
		attrs     [][2]string
	}
	textShape struct {
		x, y   float64 // the baseline's start, middle or end (see anchor)
		s      string
		size   float64 // font pixels per layout unit: 1 for 9-unit-high text
		anchor string  // start, middle, end
		color  rgb
		bold   bool
		rotate bool // read bottom to top (the y axis title)
		attrs  [][2]string
	}
)

// Figure is a chart ready to be written.
type Figure struct {
	shapes []any
	title  string
}

// ChartPoint is one strategy as the chart places it.
type ChartPoint struct {
	Key, Label, Kind string
	X                float64 // cost (or tokens) per question
	Accuracy         float64
	CI               [2]float64
}

// chartPoints reads the plotted values from a report. The x axis is cost per
// question; when no strategy has a known cost, tokens per question stand in (and the
// axis says so).
func chartPoints(rep *Report, kinds map[string]string) (pts []ChartPoint, byTokens bool) {
	byTokens = true
	for _, s := range rep.Strategies {
		if s.CostUSD > 0 {
			byTokens = false
		}
	}
	for _, s := range rep.Strategies {
		if s.N == 0 {
			continue
		}
		p := ChartPoint{Key: s.Key, Kind: kinds[s.Key], Accuracy: s.Accuracy, CI: s.CI95, X: s.CostPerQuestion()}
		if byTokens {
			p.X = s.TokensPerQuestion()
		}
		switch p.Kind {
		case KindSingle:
			p.Label = s.Model
		case KindSelfConsistency:
			p.Label = fmt.Sprintf("self-consistency ×%d", s.K)
			if s.Key != KindSelfConsistency {
				p.Label = fmt.Sprintf("self-consistency %s ×%d", s.Model, s.K)
			}
		default:
			p.Label = s.Key
		}
		pts = append(pts, p)
	}
	return pts, byTokens
}

// Chart draws the report. kinds maps each strategy key to its kind (from the spec),
// which picks its colour.
func Chart(rep *Report, kinds map[string]string) *Figure {
	pts, byTokens := chartPoints(rep, kinds)
	f := &Figure{}
	add := func(s any) { f.shapes = append(f.shapes, s) }
	add(rectShape{0, 0, ChartWidth, ChartHeight, white, 1})

	// Titles.
	what := "cost"
	if byTokens {
		what = "tokens"
	}
	f.title = fmt.Sprintf("Accuracy against %s per question", what)
	add(textShape{x: plotLeft, y: 24, s: f.title, size: 1.5, color: ink, bold: true})
	sub := fmt.Sprintf("%d questions from %s; bars: 95%% Wilson interval", rep.Questions, filepath.Base(rep.Dataset))
	if rep.Status != StatusCompleted {
		sub += " (not finished: " + rep.Status + ")"
	}
	add(textShape{x: plotLeft, y: 42, s: sub, size: 1, color: muted})

	// Legend: the colour of each kind present, in a fixed order.
	present := map[string]bool{}
	for _, p := range pts {
		present[p.Kind] = true
	}
	lx := float64(plotLeft)
	for _, l := range []struct{ kind, text string }{
		{KindSingle, "one model"}, {KindVote, "majority vote"}, {KindSelfConsistency, "self-consistency"}, {KindDebate, "debate"},
	} {
		if !present[l.kind] {
			continue
		}
		c, ok := kindColor[l.kind]
		if !ok {
			c = debateColors[0]
		}
		add(circleShape{cx: lx + 4, cy: 56, r: 4, fill: c, stroke: white, strokeW: 1})
		add(textShape{x: lx + 12, y: 59.5, s: l.text, size: 1, color: muted})
		lx += 12 + textWidth(l.text, 1) + 18
	}

	// Axes. Accuracy starts at 0 unless every interval sits well above it; then the
	// axis starts at the 10% below the lowest interval, so that differences stay
	// visible (the tick labels say where it starts).
	xmax, xstep := niceAxis(maxX(pts))
	ymin, ystep := accuracyAxis(pts)
	xpx := func(v float64) float64 { return plotLeft + v/xmax*(plotRight-plotLeft) }
	ypx := func(a float64) float64 { return plotBottom - (a-ymin)/(1-ymin)*(plotBottom-plotTop) }
	for i := int(math.Round(ymin * 100)); i <= 100; i += int(math.Round(ystep * 100)) {
		a := float64(i) / 100
		y := ypx(a)
		if i > int(math.Round(ymin*100)) {
			add(lineShape{x1: plotLeft, y1: y, x2: plotRight, y2: y, width: 1, color: gridLine})
		}
		v := strconv.FormatFloat(a, 'f', -1, 64)
		add(lineShape{x1: plotLeft - 4, y1: y, x2: plotLeft, y2: y, width: 1, color: ink, attrs: [][2]string{{"class", "tick-y"}, {"data-value", v}}})
		add(textShape{x: plotLeft - 8, y: y + 3.5, s: fmt.Sprintf("%d%%", i), size: 1, anchor: "end", color: ink, attrs: [][2]string{{"class", "tick-y-label"}, {"data-value", v}}})
	}
	nx := int(math.Round(xmax / xstep))
	for i := 0; i <= nx; i++ {
		v := float64(i) * xstep
		x := xpx(v)
		if i > 0 {
			add(lineShape{x1: x, y1: plotTop, x2: x, y2: plotBottom, width: 1, color: gridLine})
		}
		val := strconv.FormatFloat(v, 'g', 12, 64)
		add(lineShape{x1: x, y1: plotBottom, x2: x, y2: plotBottom + 4, width: 1, color: ink, attrs: [][2]string{{"class", "tick-x"}, {"data-value", val}}})
		add(textShape{x: x, y: plotBottom + 17, s: tickLabel(v, xstep, byTokens), size: 1, anchor: "middle", color: ink, attrs: [][2]string{{"class", "tick-x-label"}, {"data-value", val}}})
	}
	add(lineShape{x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, width: 1, color: ink})
	add(lineShape{x1: plotLeft, y1: plotTop, x2: plotLeft, y2: plotBottom, width: 1, color: ink})
	xtitle := "mean cost of a question (USD)"
	if byTokens {
		xtitle = "mean tokens of a question, in + out (no prices known)"
	}
	add(textShape{x: (plotLeft + plotRight) / 2, y: ChartHeight - 16, s: xtitle, size: 1, anchor: "middle", color: ink})
	add(textShape{x: 20, y: (plotTop + plotBottom) / 2, s: "accuracy", size: 1, anchor: "middle", color: ink, rotate: true})

	// Points, bars and labels; debates take their colours in order.
	debateN := 0
	colors := make([]rgb, len(pts))
	for i, p := range pts {
		c, ok := kindColor[p.Kind]
		if !ok {
			c = debateColors[debateN%len(debateColors)]
			debateN++
		}
		colors[i] = c
	}
	dodge := dodges(pts, xpx)
	for i, p := range pts {
		x, lo, hi := xpx(p.X)+dodge[i], ypx(p.CI[0]), ypx(p.CI[1])
		attrs := [][2]string{{"class", "ci"}, {"data-strategy", p.Key}}
		add(lineShape{x1: x, y1: lo, x2: x, y2: hi, width: 1.5, color: colors[i], attrs: attrs})
		add(lineShape{x1: x - 4, y1: lo, x2: x + 4, y2: lo, width: 1.5, color: colors[i]})
		add(lineShape{x1: x - 4, y1: hi, x2: x + 4, y2: hi, width: 1.5, color: colors[i]})
	}
	// Labels keep clear of every point and bar, and of each other, as far as the
	// room allows; the points are drawn last, so no label ever hides one.
	var obstacles []obstacle
	for i, p := range pts {
		x := xpx(p.X) + dodge[i]
		y, lo, hi := ypx(p.Accuracy), ypx(p.CI[0]), ypx(p.CI[1])
		obstacles = append(obstacles, obstacle{[4]float64{x - 6, y - 6, x + 6, y + 6}, 10}, obstacle{[4]float64{x - 5, hi - 1, x + 5, lo + 1}, 1})
	}
	for i, p := range pts {
		x, y := xpx(p.X)+dodge[i], ypx(p.Accuracy)
		label := fmt.Sprintf("%s %s", p.Label, pct(p.Accuracy))
		w := textWidth(label, 1)
		bx, by := placeLabel(x, y, w, obstacles)
		obstacles = append(obstacles, obstacle{[4]float64{bx - 2, by - 9, bx + w + 2, by + 3}, 5})
		add(rectShape{bx - 2, by - 9, w + 4, 12, white, 0.85})
		add(textShape{x: bx, y: by, s: label, size: 1, color: colors[i], attrs: [][2]string{{"class", "point-label"}, {"data-strategy", p.Key}}})
	}
	for i, p := range pts {
		x, y := xpx(p.X)+dodge[i], ypx(p.Accuracy)
		add(circleShape{cx: x, cy: y, r: 5, fill: colors[i], stroke: white, strokeW: 1.5, attrs: [][2]string{
			{"class", "point"}, {"data-strategy", p.Key},
			{"data-x", strconv.FormatFloat(p.X, 'g', 12, 64)}, {"data-accuracy", strconv.FormatFloat(p.Accuracy, 'g', 12, 64)},
			{"data-dodge", num(dodge[i])},
		}})
	}
	return f
}

// obstacle is a box a label should not cover, weighted by how bad covering it is.
type obstacle struct {
	box    [4]float64 // x0, y0, x1, y1
	weight float64
}

// placeLabel finds a spot for a label of width w near the point (x, y), inside the
// plot: the spot with the lowest cost, where covering a point costs most, another
// label less, an error bar little, and every unit away from the point a little too
// (right of it is preferred), so a label may cross a bar rather than drift off. It
// returns the label's left end on its baseline.
func placeLabel(x, y, w float64, obstacles []obstacle) (bx, by float64) {
	best, bestScore := [2]float64{x + 9, y + 3.5}, math.Inf(1)
	for _, dx := range []float64{9, 20} {
		for _, dy := range []float64{0, -12, 12, -24, 24, -36, 36, -48, 48} {
			for side, left := range []float64{x + dx, x - dx - w} {
				cx, cy := left, y+3.5+dy
				box := [4]float64{cx - 2, cy - 9, cx + w + 2, cy + 3}
				if box[0] < plotLeft+2 || box[2] > ChartWidth-4 || box[1] < plotTop-12 || box[3] > plotBottom-2 {
					continue
				}
				score := 4*math.Abs(dy) + 3*(dx-9) + 20*float64(side)
				for _, o := range obstacles {
					ox := math.Min(box[2], o.box[2]) - math.Max(box[0], o.box[0])
					oy := math.Min(box[3], o.box[3]) - math.Max(box[1], o.box[1])
					if ox > 0 && oy > 0 {
						score += ox * oy * o.weight
					}
				}
				if score < bestScore {
					best, bestScore = [2]float64{cx, cy}, score
				}
			}
		}
	}
	return best[0], best[1]
}

// dodgeGap is how close (in layout units) two points' x may come before they are
// set apart; maxDodge bounds how far a point moves.
const (
	dodgeGap = 10
	maxDodge = 12
)

// dodges moves points that would sit on one another's error bars (equal cost, as the
// single models of one price often do) a few units apart, centred on their true x.
// The shift is recorded on each point (data-dodge) and is far smaller than a tick.
func dodges(pts []ChartPoint, xpx func(float64) float64) []float64 {
	out := make([]float64, len(pts))
	order := make([]int, len(pts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pts[order[a]].X < pts[order[b]].X })
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && xpx(pts[order[end]].X)-xpx(pts[order[end-1]].X) < dodgeGap {
			end++
		}
		if m := end - start; m > 1 {
			step := math.Min(dodgeGap, 2*maxDodge/float64(m-1))
			for j := start; j < end; j++ {
				out[order[j]] = (float64(j-start) - float64(m-1)/2) * step
			}
		}
		start = end
	}
	return out
}

// accuracyAxis picks where the accuracy axis starts and its tick step.
func accuracyAxis(pts []ChartPoint) (min, step float64) {
	lo := 1.0
	for _, p := range pts {
		lo = math.Min(lo, p.CI[0])
	}
	if len(pts) > 0 && lo > 0.3 {
		min = math.Floor((lo-0.02)*10) / 10
	}
	step = 0.2
	if 1-min <= 0.6+1e-9 {
		step = 0.1
	}
	return min, step
}

func maxX(pts []ChartPoint) float64 {
	m := 0.0
	for _, p := range pts {
		m = math.Max(m, p.X)
	}
	return m
}

// niceAxis picks an axis maximum a little past m and a round tick step (1, 2 or 5
// times a power of ten) giving 4 to 10 ticks.
func niceAxis(m float64) (max, step float64) {
	if m <= 0 || math.IsNaN(m) || math.IsInf(m, 0) {
		return 1, 0.2
	}
	target := m * 1.1 / 5
	pow := math.Pow(10, math.Floor(math.Log10(target)))
	for _, f := range []float64{1, 2, 5, 10} {
		step = f * pow
		if step >= target {
			break
		}
	}
	n := math.Ceil(m * 1.08 / step)
	return n * step, step
}

// tickLabel writes an axis value with as many decimals as the step needs.
func tickLabel(v, step float64, tokens bool) string {
	if v == 0 {
		if tokens {
			return "0"
		}
		return "$0"
	}
	if tokens {
		if step >= 1000 {
			return strconv.FormatFloat(v/1000, 'f', decimals(step/1000), 64) + "k"
		}
		return strconv.FormatFloat(v, 'f', decimals(step), 64)
	}
	return "$" + strconv.FormatFloat(v, 'f', decimals(step), 64)
}

func decimals(step float64) int {
	d := 0
	for s := step; s < 1-1e-9 && d < 10; s *= 10 {
		d++
	}
	// A step such as 0.25 needs one decimal more than its magnitude.
	if math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-9 {
		d++
	}
	return d
}
