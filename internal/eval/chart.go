package eval

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image/color"
	"io"
	"os"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The charts are drawn with gonum/plot, which lays out axes, ticks, labels and
// legends and writes SVG and PNG from one drawing (its own embedded fonts, no cgo).

// Chart size, in points (1/72 inch); the PNG is PNGScale pixels per point.
const (
	ChartWidth  = 720
	ChartHeight = 450
	PNGScale    = 2
)

// Okabe–Ito colours, distinct under the common colour-vision deficiencies; one per
// kind of strategy, the debate modes cycling through the rest.
var (
	kindColor = map[string]color.RGBA{
		KindSingle:          {0x00, 0x72, 0xB2, 0xff},
		KindVote:            {0xE6, 0x9F, 0x00, 0xff},
		KindSelfConsistency: {0x00, 0x9E, 0x73, 0xff},
	}
	debateColors = []color.RGBA{{0xD5, 0x5E, 0x00, 0xff}, {0xCC, 0x79, 0xA7, 0xff}, {0x56, 0xB4, 0xE9, 0xff}, {0x00, 0x00, 0x00, 0xff}}
)

// ChartPoint is one strategy as the chart places it.
type ChartPoint struct {
	Key, Label, Kind string
	X                float64 // cost (or tokens) per question
	Accuracy         float64
	CI               [2]float64
	Color            color.RGBA
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
	debates := 0
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
		c, ok := kindColor[p.Kind]
		if !ok {
			c = debateColors[debates%len(debateColors)]
			debates++
		}
		p.Color = c
		pts = append(pts, p)
	}
	return pts, byTokens
}

// errBars is one strategy's 95% interval as a gonum error bar.
type errBars struct{ p ChartPoint }

func (e errBars) Len() int                  { return 1 }
func (e errBars) XY(int) (float64, float64) { return e.p.X, 100 * e.p.Accuracy }
func (e errBars) YError(int) (float64, float64) {
	return 100 * (e.p.Accuracy - e.p.CI[0]), 100 * (e.p.CI[1] - e.p.Accuracy)
}

// Chart plots accuracy against cost per question, one point per strategy with its
// 95% interval as a bar. kinds maps each strategy key to its kind (from the spec),
// which picks its colour.
func Chart(rep *Report, kinds map[string]string) (*plot.Plot, []ChartPoint, error) {
	pts, byTokens := chartPoints(rep, kinds)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Accuracy against cost: %d questions, 95%% Wilson intervals", rep.Questions)
	p.X.Label.Text = "cost per question (USD)"
	if byTokens {
		p.X.Label.Text = "tokens per question (no price known)"
	}
	p.Y.Label.Text = "accuracy (%)"
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = false
	// Every bar first, then every point, so that no bar hides a point.
	for _, pt := range pts {
		bars, err := plotter.NewYErrorBars(errBars{pt})
		if err != nil {
			return nil, nil, err
		}
		bars.Color = pt.Color
		bars.Width = 2
		bars.CapWidth = 8
		p.Add(bars)
	}
	for _, pt := range pts {
		sc, err := plotter.NewScatter(plotter.XYs{{X: pt.X, Y: 100 * pt.Accuracy}})
		if err != nil {
			return nil, nil, err
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Color = pt.Color
		sc.GlyphStyle.Radius = 5
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("%s %s", pt.Label, pct(pt.Accuracy)), sc)
	}
	p.X.Min = 0
	for _, pt := range pts { // room right of the costliest point for its dot
		p.X.Max = max(p.X.Max, 1.08*pt.X)
	}
	p.Y.Max = 100
	return p, pts, nil
}

// ReliabilityChart plots, for each answer source with stated confidences, the share
// right in each confidence bin against the mean confidence stated there. A calibrated
// source lies on the diagonal; below it, overconfident.
func ReliabilityChart(rep *Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Reliability: stated confidence against share right"
	p.X.Label.Text = "mean stated confidence (%)"
	p.Y.Label.Text = "share right (%)"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 100, 0, 100
	p.Add(plotter.NewGrid())
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 100, Y: 100}})
	if err != nil {
		return nil, err
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	diag.Color = color.Gray{0x99}
	p.Add(diag)
	p.Legend.Top = true
	p.Legend.Left = true
	palette := append([]color.RGBA{kindColor[KindSingle], kindColor[KindVote], kindColor[KindSelfConsistency]}, debateColors...)
	i := 0
	add := func(name string, c *Calibration) error {
		if c == nil || len(c.Bins) == 0 {
			return nil
		}
		var xys plotter.XYs
		for _, b := range c.Bins {
			xys = append(xys, plotter.XY{X: 100 * b.MeanConfidence, Y: 100 * b.Accuracy})
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		col := palette[i%len(palette)]
		i++
		l.Color, s.Color = col, col
		s.Shape = draw.CircleGlyph{}
		p.Add(l, s)
		p.Legend.Add(fmt.Sprintf("%s (Brier %.3f)", name, c.Brier), l, s)
		return nil
	}
	if rep.Pool == nil || rep.Pool.Source != KindSingle { // else the single rows say it
		for _, s := range rep.Seats {
			if err := add("seat "+s.Model, s.Calibration); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range rep.Strategies {
		if err := add(s.Key, s.Calibration); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// renderSVG and renderPNG draw a plot at the chart size.
func renderSVG(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(ChartWidth, ChartHeight)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func pngCanvas(p *plot.Plot) *vgimg.Canvas {
	c := vgimg.NewWith(vgimg.UseWH(ChartWidth, ChartHeight), vgimg.UseDPI(72*PNGScale), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	return c
}

func renderPNG(p *plot.Plot) ([]byte, error) {
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: pngCanvas(p)}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteCharts writes the accuracy-against-cost chart to prefix.svg and prefix.png,
// and, when any answer stated a confidence, the reliability diagram to
// prefix-reliability.svg and .png. It returns the files written.
func WriteCharts(rep *Report, kinds map[string]string, prefix string) ([]string, error) {
	charts, err := renderCharts(rep, kinds)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range charts {
		for _, f := range []struct {
			ext  string
			data []byte
		}{{".svg", c.svg}, {".png", c.png}} {
			path := prefix + c.suffix + f.ext
			if err := os.WriteFile(path, f.data, 0o644); err != nil {
				return out, err
			}
			out = append(out, path)
		}
	}
	return out, nil
}

type rendered struct {
	suffix, title string
	svg, png      []byte
}

type namedPlot struct {
	suffix string
	p      *plot.Plot
}

func renderCharts(rep *Report, kinds map[string]string) ([]rendered, error) {
	cost, _, err := Chart(rep, kinds)
	if err != nil {
		return nil, err
	}
	plots := []namedPlot{{"", cost}}
	hasCal := false
	for _, s := range rep.Strategies {
		hasCal = hasCal || s.Calibration != nil
	}
	if hasCal {
		rel, err := ReliabilityChart(rep)
		if err != nil {
			return nil, err
		}
		plots = append(plots, namedPlot{"-reliability", rel})
	}
	var out []rendered
	for _, pl := range plots {
		svg, err := renderSVG(pl.p)
		if err != nil {
			return nil, err
		}
		png, err := renderPNG(pl.p)
		if err != nil {
			return nil, err
		}
		out = append(out, rendered{suffix: pl.suffix, title: pl.p.Title.Text, svg: svg, png: png})
	}
	return out, nil
}

// WriteHTML writes the eval as one self-contained HTML page: the tables of
// WriteMarkdown (rendered by goldmark, GitHub's table syntax) and the charts as SVG
// data: URIs, so the file can be mailed or attached without its images.
func WriteHTML(w io.Writer, rep *Report, kinds map[string]string) error {
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil {
		return err
	}
	var body bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert(md.Bytes(), &body); err != nil {
		return err
	}
	charts, err := renderCharts(rep, kinds)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Eval %s</title>\n", html.EscapeString(rep.ID))
	b.WriteString("<style>body{font:15px/1.45 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:.3rem .55rem}th{background:#f6f6f6}img{max-width:100%;height:auto}</style></head><body>\n")
	for _, c := range charts {
		fmt.Fprintf(&b, "<figure><img alt=\"%s\" src=\"data:image/svg+xml;base64,%s\"></figure>\n", html.EscapeString(c.title), base64.StdEncoding.EncodeToString(c.svg))
	}
	b.Write(body.Bytes())
	b.WriteString("</body></html>\n")
	_, err = w.Write(b.Bytes())
	return err
}
