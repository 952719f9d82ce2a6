package eval

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"strconv"
)

// svgFonts is the font stack for the SVG's text; monospace, so that the layout, done
// with the bitmap font's advance, holds.
const svgFonts = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"

// SVG writes the figure as a standalone SVG document.
func (f *Figure) SVG(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" role="img" aria-label="%s">`+"\n",
		ChartWidth, ChartHeight, ChartWidth, ChartHeight, svgFonts, esc(f.title))
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(f.title))
	for _, s := range f.shapes {
		switch s := s.(type) {
		case rectShape:
			op := ""
			if s.opacity > 0 && s.opacity < 1 {
				op = fmt.Sprintf(` fill-opacity="%s"`, num(s.opacity))
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s/>`+"\n", num(s.x), num(s.y), num(s.w), num(s.h), s.color.hex(), op)
		case lineShape:
			dash := ""
			if s.dash {
				dash = ` stroke-dasharray="4 3"`
			}
			fmt.Fprintf(&b, `<line%s x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`+"\n",
				attrs(s.attrs), num(s.x1), num(s.y1), num(s.x2), num(s.y2), s.color.hex(), num(s.width), dash)
		case circleShape:
			fmt.Fprintf(&b, `<circle%s cx="%s" cy="%s" r="%s" fill="%s" stroke="%s" stroke-width="%s"/>`+"\n",
				attrs(s.attrs), num(s.cx), num(s.cy), num(s.r), s.fill.hex(), s.stroke.hex(), num(s.strokeW))
		case textShape:
			extra := ""
			if s.anchor != "" && s.anchor != "start" {
				extra += fmt.Sprintf(` text-anchor="%s"`, s.anchor)
			}
			if s.bold {
				extra += ` font-weight="bold"`
			}
			if s.rotate {
				extra += fmt.Sprintf(` transform="rotate(-90 %s %s)"`, num(s.x), num(s.y))
			}
			// The bitmap font's cap height is 7 units at size 1; a monospace font's is
			// about 0.7 em, hence 10 units per size.
			fmt.Fprintf(&b, `<text%s x="%s" y="%s" font-size="%s" fill="%s"%s>%s</text>`+"\n",
				attrs(s.attrs), num(s.x), num(s.y), num(10*s.size), s.color.hex(), extra, esc(s.s))
		}
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func attrs(a [][2]string) string {
	var b bytes.Buffer
	for _, kv := range a {
		fmt.Fprintf(&b, ` %s="%s"`, kv[0], esc(kv[1]))
	}
	return b.String()
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// PNG rasterises the figure at PNGScale pixels per layout unit.
func (f *Figure) PNG(w io.Writer) error {
	r := newRaster(ChartWidth*PNGScale, ChartHeight*PNGScale, PNGScale)
	for _, s := range f.shapes {
		switch s := s.(type) {
		case rectShape:
			op := s.opacity
			if op == 0 {
				op = 1
			}
			r.fillRect(s.x, s.y, s.x+s.w, s.y+s.h, s.color, op)
		case lineShape:
			r.line(s.x1, s.y1, s.x2, s.y2, s.width, s.color)
		case circleShape:
			r.circle(s.cx, s.cy, s.r, s.fill, s.stroke, s.strokeW)
		case textShape:
			r.text(s)
		}
	}
	return png.Encode(w, r.img)
}

// WriteFiles writes the figure to prefix.svg and prefix.png.
func (f *Figure) WriteFiles(prefix string) (svgPath, pngPath string, err error) {
	svgPath, pngPath = prefix+".svg", prefix+".png"
	var sb, pb bytes.Buffer
	if err := f.SVG(&sb); err != nil {
		return "", "", err
	}
	if err := f.PNG(&pb); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(svgPath, sb.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pngPath, pb.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	return svgPath, pngPath, nil
}

// raster is a minimal anti-aliased painter: coverage is estimated per pixel from the
// distance to the shape's edge, which is plenty for lines, dots and boxes.
type raster struct {
	img   *image.RGBA
	scale float64
}

func newRaster(w, h int, scale float64) *raster {
	return &raster{img: image.NewRGBA(image.Rect(0, 0, w, h)), scale: scale}
}

// blend paints pixel (x, y) with c at coverage a (0–1), over what is there.
func (r *raster) blend(x, y int, c rgb, a float64) {
	if a <= 0 || !(image.Point{x, y}.In(r.img.Rect)) {
		return
	}
	i := r.img.PixOffset(x, y)
	p := r.img.Pix[i : i+4 : i+4]
	if a >= 1 {
		p[0], p[1], p[2], p[3] = c.r, c.g, c.b, 255
		return
	}
	mix := func(dst uint8, src uint8) uint8 {
		return uint8(math.Round(float64(src)*a + float64(dst)*(1-a)))
	}
	p[0], p[1], p[2] = mix(p[0], c.r), mix(p[1], c.g), mix(p[2], c.b)
	p[3] = uint8(math.Round(255*a + float64(p[3])*(1-a)))
}

// fillRect covers [x0,x1)×[y0,y1) (layout units), edges partially.
func (r *raster) fillRect(x0, y0, x1, y1 float64, c rgb, opacity float64) {
	x0, y0, x1, y1 = x0*r.scale, y0*r.scale, x1*r.scale, y1*r.scale
	for py := int(math.Floor(y0)); float64(py) < y1; py++ {
		cy := math.Min(y1, float64(py+1)) - math.Max(y0, float64(py))
		for px := int(math.Floor(x0)); float64(px) < x1; px++ {
			cx := math.Min(x1, float64(px+1)) - math.Max(x0, float64(px))
			r.blend(px, py, c, cx*cy*opacity)
		}
	}
}

// line strokes a segment of the given width with square ends. Axis-aligned lines,
// most of a chart, are boxes, so they come out crisp.
func (r *raster) line(x1, y1, x2, y2, width float64, c rgb) {
	h := width / 2
	switch {
	case y1 == y2:
		r.fillRect(math.Min(x1, x2)-h, y1-h, math.Max(x1, x2)+h, y1+h, c, 1)
		return
	case x1 == x2:
		r.fillRect(x1-h, math.Min(y1, y2)-h, x1+h, math.Max(y1, y2)+h, c, 1)
		return
	}
	s := r.scale
	ax, ay, bx, by, hw := x1*s, y1*s, x2*s, y2*s, h*s
	minX, maxX := int(math.Floor(math.Min(ax, bx)-hw-1)), int(math.Ceil(math.Max(ax, bx)+hw+1))
	minY, maxY := int(math.Floor(math.Min(ay, by)-hw-1)), int(math.Ceil(math.Max(ay, by)+hw+1))
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	for py := minY; py <= maxY; py++ {
		for px := minX; px <= maxX; px++ {
			fx, fy := float64(px)+0.5, float64(py)+0.5
			t := math.Max(0, math.Min(1, ((fx-ax)*dx+(fy-ay)*dy)/l2))
			d := math.Hypot(fx-(ax+t*dx), fy-(ay+t*dy))
			r.blend(px, py, c, hw+0.5-d)
		}
	}
}

// circle fills a disc and strokes its rim.
func (r *raster) circle(cx, cy, rad float64, fill, stroke rgb, strokeW float64) {
	s := r.scale
	cx, cy, rad, sw := cx*s, cy*s, rad*s, strokeW*s
	outer := rad + sw/2 + 1
	for py := int(math.Floor(cy - outer)); py <= int(math.Ceil(cy+outer)); py++ {
		for px := int(math.Floor(cx - outer)); px <= int(math.Ceil(cx+outer)); px++ {
			d := math.Hypot(float64(px)+0.5-cx, float64(py)+0.5-cy)
			r.blend(px, py, fill, rad+0.5-d)
			if sw > 0 {
				r.blend(px, py, stroke, math.Min(sw/2+0.5-math.Abs(d-rad), rad+sw/2+0.5-d))
			}
		}
	}
}

// text draws s with the bitmap font, each font pixel a size×scale square, so text
// stays sharp at whole-number sizes. Bold doubles each column one pixel to the right.
func (r *raster) text(t textShape) {
	u := t.size * r.scale // device pixels per font pixel
	w := textWidth(t.s, t.size) * r.scale
	// Position along the text's own direction, from the anchor.
	start := 0.0
	switch t.anchor {
	case "middle":
		start = -w / 2
	case "end":
		start = -w
	}
	ox, oy := math.Round(t.x*r.scale), math.Round(t.y*r.scale)
	cell := func(along, down float64) (float64, float64) {
		if t.rotate { // reading upwards: "along" goes up, "down" goes right
			return ox + down, oy - along
		}
		return ox + along, oy + down
	}
	for i, ch := range []rune(t.s) {
		g := glyph(ch)
		for row := 0; row < glyphRow; row++ {
			bits := g[row]
			if t.bold {
				bits |= bits >> 1
			}
			for col := 0; col < glyphW; col++ {
				if bits&(1<<(glyphW-1-col)) == 0 {
					continue
				}
				along := start + (float64(i*glyphAdv)+float64(col))*u
				down := float64(row-glyphCap) * u
				x0, y0 := cell(along, down)
				x1, y1 := cell(along+u, down+u)
				r.fillDevice(math.Min(x0, x1), math.Min(y0, y1), math.Max(x0, x1), math.Max(y0, y1), t.color)
			}
		}
	}
}

// fillDevice fills a box given in device pixels.
func (r *raster) fillDevice(x0, y0, x1, y1 float64, c rgb) {
	for py := int(math.Floor(y0)); float64(py) < y1; py++ {
		for px := int(math.Floor(x0)); float64(px) < x1; px++ {
			r.blend(px, py, c, 1)
		}
	}
}
