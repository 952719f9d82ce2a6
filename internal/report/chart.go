package report

import (
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/debate"
)

// The confidence chart: one line per seat across the rounds, drawn as inline SVG by
// this code so the report needs no script and no library. The geometry is fixed in
// viewBox units and the figure scales to the page's width; the viewBox is small so
// that on a phone, where it shrinks to about three quarters, the labels stay legible.
const (
	chartW     = 480
	chartH     = 258
	chartLeft  = 48 // room for the y-axis labels
	chartRight = 30 // room for the seat labels at the lines' ends
	chartTop   = 12
	chartPlotH = 200
	chartPlotW = chartW - chartLeft - chartRight
)

// Okabe–Ito colours, which stay distinct for the common colour-vision deficiencies.
// The page's stylesheet swaps in lighter ones for dark mode (.s0 … .s5).
var seriesColors = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#7A5195"}

// chartX is the centre of round n's band: rounds sit in equal bands so the first and
// last markers never touch the axes.
func chartX(n, rounds int) float64 {
	return chartLeft + (float64(n)-0.5)*chartPlotW/float64(rounds)
}

// chartY maps a confidence (0–100) to the plot.
func chartY(conf int) float64 {
	if conf < 0 {
		conf = 0
	}
	if conf > 100 {
		conf = 100
	}
	return chartTop + float64(100-conf)*chartPlotH/100
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// chartPoint is one seat's answer in one round, as drawn.
type chartPoint struct {
	round   int
	x, y    float64
	conf    int
	changed bool
}

// Chart draws each seat's confidence across the rounds as an SVG line chart inside a
// <figure> whose caption is the legend (seat and model for each line, and what the
// marker shapes mean). The legend is HTML rather than SVG text so it wraps and stays
// legible on a phone, where the SVG is scaled down. A round where the seat changed
// its position gets a ring instead of a dot; a failed turn (or an answer without a
// readable confidence) leaves a gap in the line, and a failed turn is marked × on
// the axis. Every string from the record is escaped.
func Chart(rec *debate.Record) template.HTML {
	n := len(rec.Rounds)
	if n == 0 || len(rec.Panel) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<figure class="chart">` + "\n")
	// No xmlns: inline SVG in HTML does not need one, and the page then names no
	// URL that is not a link the reader chooses to follow.
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" font-family="system-ui, sans-serif">`+"\n", chartW, chartH)
	b.WriteString(`<title id="chart-title">Confidence by round</title>` + "\n")
	fmt.Fprintf(&b, `<desc id="chart-desc">%s</desc>`+"\n", escapeText(chartSummary(rec)))

	// Grid and axes.
	b.WriteString(`<g class="grid">` + "\n")
	for _, c := range []int{0, 25, 50, 75, 100} {
		y := coord(chartY(c))
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#888" stroke-opacity="0.35" stroke-width="1"/>`, chartLeft, y, chartW-chartRight, y)
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle" font-size="13" fill="currentColor">%d%%</text>`+"\n", chartLeft-8, y, c)
	}
	for _, r := range rec.Rounds {
		x := coord(chartX(r.Number, n))
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle" font-size="14" font-weight="600" fill="currentColor">Round %d</text>`, x, chartTop+chartPlotH+21, r.Number)
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle" font-size="12" fill="currentColor" opacity="0.75">%s</text>`+"\n", x, chartTop+chartPlotH+38, escapeText(r.Kind))
	}
	b.WriteString("</g>\n")

	type end struct {
		seat  string
		class string
		color string
		y     float64
		x     float64
	}
	// Which seats failed in each round, so that several failure marks in one round
	// can be spread apart and a single one sits on its round.
	failedIn := map[int][]string{}
	for _, r := range rec.Rounds {
		for _, s := range rec.Panel {
			if t, ok := rec.Turn(r.Number, s.Seat); ok && !t.OK() {
				failedIn[r.Number] = append(failedIn[r.Number], s.Seat)
			}
		}
	}

	var ends []end
	for i, s := range rec.Panel {
		class := fmt.Sprintf("s%d", i%len(seriesColors))
		color := seriesColors[i%len(seriesColors)]
		var points []chartPoint
		var segments [][]chartPoint
		var cur []chartPoint
		var failed []int
		for _, r := range rec.Rounds {
			t, ok := rec.Turn(r.Number, s.Seat)
			if !ok || !t.OK() || t.Confidence == nil {
				if ok && !t.OK() {
					failed = append(failed, r.Number)
				}
				if len(cur) > 0 {
					segments = append(segments, cur)
					cur = nil
				}
				continue
			}
			p := chartPoint{round: r.Number, x: chartX(r.Number, n), y: chartY(*t.Confidence), conf: *t.Confidence, changed: t.Changed}
			points = append(points, p)
			cur = append(cur, p)
		}
		if len(cur) > 0 {
			segments = append(segments, cur)
		}

		fmt.Fprintf(&b, `<g class="series %s" data-seat="%s" color="%s">`+"\n", class, escapeText(s.Seat), color)
		fmt.Fprintf(&b, "<title>Seat %s: %s</title>\n", escapeText(s.Seat), escapeText(label(s)))
		// Each unbroken run of answers is one subpath: "M" starts a new one after a gap.
		var d strings.Builder
		for _, seg := range segments {
			if len(seg) < 2 {
				continue
			}
			for k, p := range seg {
				if k == 0 {
					d.WriteString("M")
				} else {
					d.WriteString(" L")
				}
				d.WriteString(coord(p.x) + " " + coord(p.y))
			}
			d.WriteString(" ")
		}
		if d.Len() > 0 {
			fmt.Fprintf(&b, `<path class="line" d="%s" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`+"\n", strings.TrimSpace(d.String()))
		}
		for _, p := range points {
			t, _ := rec.Turn(p.round, s.Seat)
			tip := fmt.Sprintf("Seat %s (%s), round %d: %d%%", s.Seat, label(s), p.round, p.conf)
			if p.changed {
				tip += ", changed position"
			}
			if t.Position != "" {
				tip += " — " + oneLine(t.Position)
			}
			cls, r, extra := "mark", "4.5", `fill="currentColor"`
			if p.changed {
				// A ring, filled with the page's background (the stylesheet sets it in
				// dark mode), so it reads as another shape, not only another colour.
				cls, r, extra = "mark flip", "6", `fill="#fff" stroke="currentColor" stroke-width="2.5"`
			}
			fmt.Fprintf(&b, `<circle class="%s" data-round="%d" data-confidence="%d" cx="%s" cy="%s" r="%s" %s><title>%s</title></circle>`+"\n",
				cls, p.round, p.conf, coord(p.x), coord(p.y), r, extra, escapeText(tip))
		}
		for _, fr := range failed {
			t, _ := rec.Turn(fr, s.Seat)
			// Failed turns sit on the axis, spread a little when several seats failed
			// in the same round.
			k := slices.Index(failedIn[fr], s.Seat)
			x := chartX(fr, n) + (float64(k)-float64(len(failedIn[fr])-1)/2)*12
			y := float64(chartTop + chartPlotH)
			tip := fmt.Sprintf("Seat %s (%s), round %d: failed (%s)", s.Seat, label(s), fr, t.ErrorClass)
			fmt.Fprintf(&b, `<g class="fail" data-round="%d"><title>%s</title><path d="M%s %s L%s %s M%s %s L%s %s" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"/></g>`+"\n",
				fr, escapeText(tip),
				coord(x-4.5), coord(y-4.5), coord(x+4.5), coord(y+4.5),
				coord(x-4.5), coord(y+4.5), coord(x+4.5), coord(y-4.5))
		}
		b.WriteString("</g>\n")
		if len(points) > 0 {
			last := points[len(points)-1]
			ends = append(ends, end{seat: s.Seat, class: class, color: color, x: last.x, y: last.y})
		}
	}

	// Seat letters at the lines' ends, nudged apart where lines end close together.
	sort.SliceStable(ends, func(i, j int) bool { return ends[i].y < ends[j].y })
	for i := 1; i < len(ends); i++ {
		if ends[i].y-ends[i-1].y < 14 {
			ends[i].y = ends[i-1].y + 14
		}
	}
	for _, e := range ends {
		fmt.Fprintf(&b, `<text class="end %s" x="%s" y="%s" dominant-baseline="middle" font-size="14" font-weight="700" fill="currentColor" color="%s">%s</text>`+"\n",
			e.class, coord(e.x+10), coord(e.y), e.color, escapeText(e.seat))
	}
	b.WriteString("</svg>\n")

	// The legend.
	b.WriteString(`<figcaption class="legend"><ul>` + "\n")
	for i, s := range rec.Panel {
		class := fmt.Sprintf("s%d", i%len(seriesColors))
		fmt.Fprintf(&b, `<li class="key" data-seat="%s"><svg class="%s" viewBox="0 0 28 12" width="28" height="12" aria-hidden="true" color="%s"><path d="M1 6 H27" stroke="currentColor" stroke-width="2.5"/><circle cx="14" cy="6" r="4" fill="currentColor"/></svg> <b>%s</b> %s</li>`+"\n",
			escapeText(s.Seat), class, seriesColors[i%len(seriesColors)], escapeText(s.Seat), escapeText(label(s)))
	}
	b.WriteString(`<li class="key shape"><svg viewBox="0 0 14 14" width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="4.5" fill="currentColor"/></svg> answer</li>` + "\n")
	b.WriteString(`<li class="key shape"><svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" stroke-width="2.5"/></svg> changed position</li>` + "\n")
	b.WriteString(`<li class="key shape"><svg viewBox="0 0 14 14" width="14" height="14" aria-hidden="true"><path d="M2.5 2.5 L11.5 11.5 M2.5 11.5 L11.5 2.5" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"/></svg> failed turn (gap)</li>` + "\n")
	b.WriteString("</ul></figcaption>\n</figure>\n")
	return template.HTML(b.String())
}

// chartSummary says in words what the chart shows, for screen readers.
func chartSummary(rec *debate.Record) string {
	var parts []string
	for _, s := range rec.Panel {
		var vals []string
		for _, r := range rec.Rounds {
			t, ok := rec.Turn(r.Number, s.Seat)
			switch {
			case !ok:
				vals = append(vals, "none")
			case !t.OK():
				vals = append(vals, "failed")
			default:
				vals = append(vals, conf(t.Confidence))
			}
		}
		parts = append(parts, fmt.Sprintf("Seat %s (%s): %s", s.Seat, label(s), strings.Join(vals, ", ")))
	}
	return "Confidence per round. " + strings.Join(parts, "; ") + "."
}
