package report

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// This file renders the Markdown that models write into HTML, for the HTML report and
// the web UI: goldmark (CommonMark with GitHub's tables, strikethrough and
// autolinks), then bluemonday's user-generated-content policy over the result.
//
// Model output is untrusted and the report is a file people open and forward, so
// the defaults are turned toward safety at both stages:
//   - raw HTML in an answer is shown as text, as the model wrote it (a custom node
//     renderer; goldmark would otherwise drop it, or pass it through if unsafe);
//   - images are never loaded (the report makes no network requests): each becomes
//     a link labelled "image: ALT";
//   - headings shift down three levels (an answer's "#" is an h4), below the
//     report's own;
//   - bluemonday then keeps only the elements and attributes of its UGC policy,
//     absolute http(s) and mailto links only, each with rel="noopener noreferrer
//     nofollow".
//
// Building goldmark and the policy costs a little (regexps, tables of elements),
// so it happens on first use (sync.OnceValue), never at package init: `parley
// version` and the other commands that render nothing pay nothing.

// maxBrackets is how many '[' an answer may hold and still have links (see
// RenderMarkdown): prose with links has dozens.
const maxBrackets = 2000

// RenderMarkdown turns an answer into safe HTML.
func RenderMarkdown(src string) template.HTML {
	md := markdown()
	src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	if strings.Count(src, "[") > maxBrackets {
		// goldmark's link parsing is quadratic in unclosed "[…](" (4.8 s for 160 KB of
		// them, v1.7.8 and v1.8.7 alike). An answer with this many brackets is not
		// prose: its brackets become entities, which render as the same text and
		// start no link.
		src = strings.ReplaceAll(src, "[", "&#91;")
	}
	src = flattenDeepNesting(src)
	var buf bytes.Buffer
	if err := md.md.Convert([]byte(src), &buf); err != nil {
		// goldmark fails only when writing fails, which a bytes.Buffer does not;
		// show the text rather than nothing.
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	out := md.policy.SanitizeBytes(buf.Bytes())
	// Wide tables scroll on their own instead of widening the page. After
	// sanitising, "<table>" can only be a table: text has its '<' escaped.
	out = bytes.ReplaceAll(out, []byte("<table>"), []byte(`<div class="scroll"><table>`))
	out = bytes.ReplaceAll(out, []byte("</table>"), []byte("</table></div>"))
	// noopener too, as the report's own links have it; bluemonday adds it only
	// with target="_blank", which a report opened from disk does not want.
	out = bytes.ReplaceAll(out, []byte(` rel="nofollow noreferrer"`), []byte(` rel="noopener noreferrer nofollow"`))
	return template.HTML(escapeEquals(out))
}

// escapeEquals writes '=' in text as &#61;, as escapeText does, so that text
// quoting an attribute ("onerror=…") can never be mistaken for one by a careless
// reader or filter. After bluemonday every '<' starts a tag and no '>' appears
// inside one (attribute values are escaped), so "outside a tag" is exact.
func escapeEquals(b []byte) []byte {
	if !bytes.Contains(b, []byte("=")) {
		return b
	}
	out := make([]byte, 0, len(b)+64)
	inTag := false
	for _, c := range b {
		switch {
		case c == '<':
			inTag = true
		case c == '>':
			inTag = false
		case c == '=' && !inTag:
			out = append(out, "&#61;"...)
			continue
		}
		out = append(out, c)
	}
	return out
}

// maxNesting bounds the block quotes and list items a line may open; beyond it the
// line is text. goldmark's cost grows faster than the depth (40,000 nested quotes on
// one line took 43 s under the race detector), and no answer needs more than a few.
const maxNesting = 16

// flattenDeepNesting writes the first marker of a line that opens more than
// maxNesting containers as an entity: the line then renders as the text it is.
func flattenDeepNesting(src string) string {
	var b strings.Builder
	changed := false
	for line := range strings.Lines(src) {
		depth, first := 0, -1
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == ' ' || c == '\t' {
				continue
			}
			// A marker opens a container only when a space follows ("> ", "- "; a
			// quote may do without): "----" is a rule, not 4 lists.
			spaced := i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t')
			if c == '>' || ((c == '-' || c == '*' || c == '+') && spaced) {
				if first < 0 {
					first = i
				}
				depth++
				continue
			}
			break
		}
		if depth > maxNesting {
			if !changed {
				b.Grow(len(src) + 16)
				changed = true
			}
			b.WriteString(line[:first])
			b.WriteString(map[byte]string{'>': "&gt;", '-': "&#45;", '*': "&#42;", '+': "&#43;"}[line[first]])
			b.WriteString(line[first+1:])
			continue
		}
		b.WriteString(line)
	}
	if !changed {
		return src
	}
	return b.String()
}

// renderMarkdown is RenderMarkdown under the name the report's template uses.
func renderMarkdown(src string) template.HTML { return RenderMarkdown(src) }

type markdownRenderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

var markdown = sync.OnceValue(func() markdownRenderer {
	md := goldmark.New(
		// GitHub's tables, strikethrough and autolinks; not its task lists, whose
		// checkboxes the policy would strip, leaving less than the text "[ ]".
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeTransformer{}, 100))),
		goldmark.WithRendererOptions(
			html.WithXHTML(),
			renderer.WithNodeRenderers(util.Prioritized(rawAsText{}, 100)),
		),
	)
	p := bluemonday.UGCPolicy()
	p.AllowRelativeURLs(false)
	p.RequireNoReferrerOnLinks(true)
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,32}$`)).OnElements("code")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|right|center)$`)).OnElements("th", "td")
	return markdownRenderer{md: md, policy: p}
})

// safeTransformer shifts headings below the report's own and turns images into links.
type safeTransformer struct{}

func (safeTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var images []*ast.Image
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+3, 6)
		case *ast.Image:
			images = append(images, n)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		link := ast.NewLink()
		link.Destination = img.Destination
		var alt bytes.Buffer
		for c := img.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				alt.Write(t.Segment.Value(src))
			}
		}
		link.AppendChild(link, ast.NewString([]byte("image: "+alt.String())))
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
}

// rawAsText renders raw HTML (blocks and inline tags) as the text it is.
type rawAsText struct{}

func (rawAsText) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		w.WriteString("<p>")
		lines := b.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			w.WriteString(template.HTMLEscapeString(string(seg.Value(src))))
		}
		if b.HasClosure() {
			w.WriteString(template.HTMLEscapeString(string(b.ClosureLine.Value(src))))
		}
		w.WriteString("</p>\n")
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkSkipChildren, nil
		}
		segs := n.(*ast.RawHTML).Segments
		for i := 0; i < segs.Len(); i++ {
			seg := segs.At(i)
			w.WriteString(template.HTMLEscapeString(string(seg.Value(src))))
		}
		return ast.WalkSkipChildren, nil
	})
}

// renderInline renders one line of Markdown (a position, a claim) as inline HTML:
// emphasis, code and links, without the paragraph around them. A line that would
// be a block of another kind (a heading, a list item) is shown as the text it is.
func renderInline(s string) string {
	out := string(RenderMarkdown(s))
	inner, ok := strings.CutPrefix(out, "<p>")
	if ok {
		inner, ok = strings.CutSuffix(inner, "</p>\n")
	}
	if !ok || strings.Contains(inner, "<p>") {
		return escapeText(s)
	}
	return inner
}

// escapeText escapes s for HTML text and attribute values. Beyond the five
// characters HTML needs, it escapes '=' so that text quoting an attribute
// ("onerror=…") can never be mistaken for one by a careless reader or filter.
func escapeText(s string) string {
	return textEscaper.Replace(s)
}

var textEscaper = strings.NewReplacer(
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	`"`, "&#34;",
	"'", "&#39;",
	"=", "&#61;",
)
