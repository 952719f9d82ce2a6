// Package termmd renders a parley Markdown report for a terminal: headings,
// emphasis, code, lists, tables, block quotes and links, styled with lipgloss and
// wrapped at the terminal's width.
//
// It is written by hand on purpose. The obvious library, glamour, links chroma for
// syntax highlighting, and chroma registers its ~250 lexers and ~70 styles in
// package init: 20 ms measured (GODEBUG=inittrace=1) on every start of every
// parley command, `parley version` and the MCP server included, whether or not a
// report is ever styled. A report has no code worth highlighting (the fenced code
// in models' answers is shown plain), so this package parses with goldmark (already
// linked, CommonMark with the GFM table extension) and walks the tree itself, a few
// hundred lines for the node kinds a report contains.
//
// Everything in a report may come from a model and is untrusted: every piece of
// text is passed through tui.Sanitize after Markdown's escapes and character
// references are resolved (so neither a raw ESC nor "&#27;" reaches the terminal),
// and the only escape sequences in the output are the styles this package adds.
package termmd

import (
	"bytes"
	"image/color"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/parleyhq/parley/internal/tui"
)

// Options says how to render.
type Options struct {
	// Width is the number of columns to wrap at; below 20 it is taken as 80.
	Width int
	// Profile is the terminal's colour profile: styles are written in true colour
	// and downsampled to it (colorprofile.NoTTY or Ascii drop colour altogether).
	Profile colorprofile.Profile
	// Light selects the palette for a light background; the default is dark.
	Light bool
}

// palette is the handful of colours a report uses.
type palette struct {
	h1, heading, code, link, quote, rule color.Color
}

var (
	darkPalette = palette{
		h1: lipgloss.Color("#7AA2F7"), heading: lipgloss.Color("#89DDFF"),
		code: lipgloss.Color("#F7768E"), link: lipgloss.Color("#73DACA"),
		quote: lipgloss.Color("#9AA5CE"), rule: lipgloss.Color("#565F89"),
	}
	lightPalette = palette{
		h1: lipgloss.Color("#1D4ED8"), heading: lipgloss.Color("#0E7490"),
		code: lipgloss.Color("#B91C1C"), link: lipgloss.Color("#047857"),
		quote: lipgloss.Color("#4B5563"), rule: lipgloss.Color("#9CA3AF"),
	}
)

// newParser builds a CommonMark parser with GFM tables only: the other GFM
// extensions (linkify, strikethrough, task lists) change nothing a report
// contains, and a parser is cheap to build, so none is kept between renders.
func newParser() parser.Parser {
	return parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		parser.WithParagraphTransformers(append(parser.DefaultParagraphTransformers(),
			util.Prioritized(extension.NewTableParagraphTransformer(), 200))...),
		parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)),
	)
}

// Render returns src styled for a terminal. It never fails: Markdown has no
// syntax errors, and anything it does not know is shown as its text.
func Render(src []byte, o Options) []byte {
	if o.Width < 20 {
		o.Width = 80
	}
	// Sanitizing the source first keeps raw control characters out of the parser
	// (a CR would otherwise end a line); leaves are sanitized again after their
	// escapes are resolved.
	src = []byte(tui.Sanitize(string(src)))
	doc := newParser().Parse(text.NewReader(src))
	r := &renderer{src: src, pal: darkPalette}
	if o.Light {
		r.pal = lightPalette
	}
	lines := r.blocks(doc, o.Width)
	var out bytes.Buffer
	w := &colorprofile.Writer{Forward: &out, Profile: o.Profile}
	_, _ = w.WriteString(strings.Join(lines, "\n") + "\n")
	return out.Bytes()
}

type renderer struct {
	src []byte
	pal palette
}

// blocks renders the block children of n, each fitting in width columns, with a
// blank line between blocks.
func (r *renderer) blocks(n ast.Node, width int) []string {
	var out []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		b := r.block(c, width)
		if len(b) == 0 {
			continue
		}
		if len(out) > 0 && !tightItem(c) {
			out = append(out, "")
		}
		out = append(out, b...)
	}
	return out
}

// tightItem: in a tight list item the blocks (the text and a nested list) follow
// one another without a blank line.
func tightItem(n ast.Node) bool {
	item, ok := n.Parent().(*ast.ListItem)
	if !ok {
		return false
	}
	list, ok := item.Parent().(*ast.List)
	return ok && list.IsTight
}

func (r *renderer) block(n ast.Node, width int) []string {
	switch n := n.(type) {
	case *ast.Heading:
		return r.heading(n, width)
	case *ast.Paragraph, *ast.TextBlock:
		return wrap(r.inlines(n), width)
	case *ast.List:
		return r.list(n, width)
	case *ast.Blockquote:
		bar := lipgloss.NewStyle().Foreground(r.pal.rule).Render("│ ")
		style := lipgloss.NewStyle().Foreground(r.pal.quote)
		inner := r.blocks(n, width-2)
		for i, l := range inner {
			inner[i] = bar + style.Render(l)
		}
		return inner
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		return r.code(n, width)
	case *ast.ThematicBreak:
		return []string{lipgloss.NewStyle().Foreground(r.pal.rule).Render(strings.Repeat("─", width))}
	case *ast.HTMLBlock:
		// Raw HTML is shown as the text it is: a terminal renders none of it.
		var b strings.Builder
		for i := 0; i < n.Lines().Len(); i++ {
			s := n.Lines().At(i)
			b.Write(s.Value(r.src))
		}
		if n.HasClosure() {
			b.Write(n.ClosureLine.Value(r.src))
		}
		return wrap(clean(strings.TrimRight(b.String(), "\n")), width)
	case *east.Table:
		return r.table(n, width)
	}
	// A kind this package does not know: its blocks, or its text.
	if n.Type() == ast.TypeBlock && n.HasChildren() {
		if n.FirstChild().Type() == ast.TypeBlock {
			return r.blocks(n, width)
		}
		return wrap(r.inlines(n), width)
	}
	return nil
}

func (r *renderer) heading(n *ast.Heading, width int) []string {
	style := lipgloss.NewStyle().Bold(true).Foreground(r.pal.heading)
	prefix := strings.Repeat("#", n.Level) + " "
	if n.Level == 1 {
		// Not underlined: lipgloss underlines a styled run character by character.
		style = lipgloss.NewStyle().Bold(true).Foreground(r.pal.h1)
		prefix = ""
	}
	lines := wrap(r.inlines(n), width-ansi.StringWidth(prefix))
	for i, l := range lines {
		if i == 0 {
			l = prefix + l
		} else {
			l = strings.Repeat(" ", len(prefix)) + l
		}
		lines[i] = style.Render(l)
	}
	return lines
}

func (r *renderer) list(n *ast.List, width int) []string {
	var out []string
	num := n.Start
	// The markers of an ordered list are right-aligned on the widest.
	markerWidth := 2
	if n.IsOrdered() {
		markerWidth = len(strconv.Itoa(n.Start+n.ChildCount()-1)) + 2
	}
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "• "
		if n.IsOrdered() {
			marker = strconv.Itoa(num) + string(n.Marker) + " "
			num++
		}
		marker = strings.Repeat(" ", max(0, markerWidth-len(marker))) + marker
		body := r.blocks(item, width-markerWidth)
		if len(body) == 0 {
			body = []string{""}
		}
		if len(out) > 0 && !n.IsTight {
			out = append(out, "")
		}
		indent := strings.Repeat(" ", markerWidth)
		for i, l := range body {
			if i == 0 {
				out = append(out, marker+l)
			} else if l == "" {
				out = append(out, "")
			} else {
				out = append(out, indent+l)
			}
		}
	}
	return out
}

// code shows a code block as it is, indented, in the code colour: not
// word-wrapped and not highlighted (see the package doc).
func (r *renderer) code(n ast.Node, width int) []string {
	style := lipgloss.NewStyle().Foreground(r.pal.code)
	var out []string
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		s := lines.At(i)
		l := strings.TrimRight(clean(string(s.Value(r.src))), "\n")
		l = strings.ReplaceAll(l, "\t", "    ")
		// A line longer than the terminal is broken here, at the width, rather than
		// left to the terminal's own wrap, which would lose the indentation; nothing
		// of it is cut (the JSON line of an answer is often the longest).
		for _, part := range strings.Split(ansi.Hardwrap(l, width-2, true), "\n") {
			out = append(out, "  "+style.Render(part))
		}
	}
	return out
}

func (r *renderer) table(n *east.Table, width int) []string {
	var headers []string
	var rows [][]string
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, r.inlines(cell))
		}
		if _, ok := row.(*east.TableHeader); ok {
			headers = cells
		} else {
			rows = append(rows, cells)
		}
	}
	border := lipgloss.NewStyle().Foreground(r.pal.rule)
	t := table.New().
		Border(lipgloss.NormalBorder()).BorderStyle(border).
		BorderRow(false).
		Headers(headers...).Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := lipgloss.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				s = s.Bold(true)
			}
			if col < len(n.Alignments) {
				switch n.Alignments[col] {
				case east.AlignRight:
					s = s.Align(lipgloss.Right)
				case east.AlignCenter:
					s = s.Align(lipgloss.Center)
				}
			}
			return s
		})
	out := t.String()
	// The table shrinks its columns (wrapping their cells) only when told a width;
	// told one it also stretches, so it is told only when it is too wide.
	if lipgloss.Width(out) > width {
		out = t.Width(width).String()
	}
	return strings.Split(out, "\n")
}

// inlines renders the inline children of n as one styled string, with a newline
// only at a hard line break.
func (r *renderer) inlines(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		r.inline(&b, c)
	}
	return b.String()
}

func (r *renderer) inline(b *strings.Builder, n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Segment.Value(r.src)
		b.WriteString(clean(string(util.UnescapePunctuations(util.ResolveNumericReferences(util.ResolveEntityNames(v))))))
		switch {
		case n.HardLineBreak():
			b.WriteByte('\n')
		case n.SoftLineBreak():
			b.WriteByte(' ')
		}
	case *ast.String:
		b.WriteString(clean(string(n.Value)))
	case *ast.CodeSpan:
		var code strings.Builder
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				code.Write(t.Segment.Value(r.src))
			} else if s, ok := c.(*ast.String); ok {
				code.Write(s.Value)
			}
		}
		b.WriteString(lipgloss.NewStyle().Foreground(r.pal.code).Render(clean(code.String())))
	case *ast.Emphasis:
		s := lipgloss.NewStyle().Italic(true)
		if n.Level >= 2 {
			s = lipgloss.NewStyle().Bold(true)
		}
		b.WriteString(styleRuns(s, r.inlines(n)))
	case *ast.Link:
		label := r.inlines(n)
		b.WriteString(styleRuns(lipgloss.NewStyle().Underline(true).Foreground(r.pal.link), label))
		dest := clean(string(util.UnescapePunctuations(n.Destination)))
		if dest != "" && ansi.Strip(label) != dest {
			b.WriteString(" (" + dest + ")")
		}
	case *ast.AutoLink:
		url := clean(string(n.URL(r.src)))
		b.WriteString(lipgloss.NewStyle().Underline(true).Foreground(r.pal.link).Render(url))
	case *ast.Image:
		// A terminal shows no image: its alternative text and where it is.
		b.WriteString("[" + r.inlines(n) + "] (" + clean(string(n.Destination)) + ")")
	case *ast.RawHTML:
		for i := 0; i < n.Segments.Len(); i++ {
			s := n.Segments.At(i)
			b.WriteString(clean(string(s.Value(r.src))))
		}
	default:
		b.WriteString(r.inlines(n))
	}
}

// styleRuns applies s to text that may already hold styled runs (a code span in
// bold): lipgloss's Render would strip the inner styles' resets' effect on s, so
// s is re-applied after every reset.
func styleRuns(s lipgloss.Style, text string) string {
	if !strings.Contains(text, "\x1b[") {
		return s.Render(text)
	}
	var b strings.Builder
	const reset = "\x1b[m"
	parts := strings.Split(text, reset)
	for i, p := range parts {
		if i > 0 {
			b.WriteString(reset)
		}
		if p != "" {
			b.WriteString(s.Render(p))
		}
	}
	return b.String()
}

// wrap wraps styled text at width, keeping styles across the breaks.
func wrap(s string, width int) []string {
	if width < 10 {
		width = 10
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, strings.Split(lipgloss.Wrap(para, width, ""), "\n")...)
	}
	return out
}

// clean makes a piece of model text safe for the terminal after Markdown has had
// its say: "&#27;" is an ESC once resolved.
func clean(s string) string { return tui.Sanitize(s) }
