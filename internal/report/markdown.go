package report

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file renders the Markdown that models write into HTML for the HTML report.
//
// Why a small renderer of our own rather than a library such as goldmark: model
// output is untrusted, and the report is a file people open and forward. A
// CommonMark library is built to be faithful to authors, with raw HTML, entity
// decoding, arbitrary link schemes and images as first-class features that must each
// be switched off; we want the opposite default. This renderer knows a short list of
// constructs (paragraphs, headings, emphasis, inline code, fenced code, lists, block
// quotes, rules, pipe tables, links) and emits only the tags it names itself. Every
// other byte of the input goes through escapeText, so raw HTML in an answer is shown
// as text, never parsed. Links keep their href only for absolute http(s) URLs and
// always carry rel="noopener noreferrer nofollow"; images are never loaded (the
// report makes no network requests), they become links. It is not CommonMark: an
// answer that leans on an obscure corner of the spec reads a little differently,
// and that is the price of a renderer small enough to audit.

// Limits that keep hostile input from costing more than it is worth.
const (
	maxQuoteDepth = 8 // nested block quotes and lists beyond this render as text
	maxInlineNest = 8 // nested emphasis
	maxLabel      = 1000
	maxURL        = 2048
)

// renderMarkdown turns an answer into safe HTML.
func renderMarkdown(src string) template.HTML {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	var b strings.Builder
	renderBlocks(&b, strings.Split(src, "\n"), 0)
	return template.HTML(b.String())
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

// renderBlocks renders lines as a sequence of blocks. depth counts the enclosing
// block quotes and list items.
func renderBlocks(b *strings.Builder, lines []string, depth int) {
	i := 0
	for i < len(lines) {
		line := lines[i]
		switch {
		case isBlank(line):
			i++
		case fenceOpen(line) != "":
			i = renderFence(b, lines, i)
		case headingLevel(line) > 0:
			renderHeading(b, line)
			i++
		case isRule(line):
			b.WriteString("<hr>\n")
			i++
		case depth < maxQuoteDepth && isQuote(line):
			i = renderQuote(b, lines, i, depth)
		case depth < maxQuoteDepth && listMarker(line).ok:
			i = renderList(b, lines, i, depth)
		case isTableStart(lines, i):
			i = renderTable(b, lines, i)
		default:
			i = renderParagraph(b, lines, i, depth)
		}
	}
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// indentOf counts leading spaces, a tab counting as four.
func indentOf(s string) int {
	n := 0
	for _, c := range s {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 4 - n%4
		default:
			return n
		}
	}
	return n
}

// dropIndent removes up to n columns of leading whitespace.
func dropIndent(s string, n int) string {
	col := 0
	for i, c := range s {
		if col >= n {
			return s[i:]
		}
		switch c {
		case ' ':
			col++
		case '\t':
			col += 4 - col%4
		default:
			return s[i:]
		}
	}
	return ""
}

// fenceOpen returns the fence (``` or ~~~, possibly longer) that line opens, or "".
func fenceOpen(line string) string {
	if indentOf(line) > 3 {
		return ""
	}
	t := strings.TrimLeft(line, " \t")
	for _, ch := range []byte{'`', '~'} {
		n := 0
		for n < len(t) && t[n] == ch {
			n++
		}
		if n >= 3 {
			if ch == '`' && strings.ContainsRune(t[n:], '`') {
				return "" // an inline code span, not a fence
			}
			return t[:n]
		}
	}
	return ""
}

func renderFence(b *strings.Builder, lines []string, i int) int {
	fence := fenceOpen(lines[i])
	info := strings.TrimSpace(strings.TrimLeft(strings.TrimLeft(lines[i], " \t"), fence[:1]))
	lang := ""
	if f := strings.Fields(info); len(f) > 0 {
		lang = cleanLang(f[0])
	}
	j := i + 1
	var body []string
	for ; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j])
		if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
			j++
			break
		}
		body = append(body, lines[j])
	}
	if lang != "" {
		b.WriteString(`<pre><code class="language-` + lang + `">`)
	} else {
		b.WriteString("<pre><code>")
	}
	b.WriteString(escapeText(strings.Join(body, "\n")))
	b.WriteString("</code></pre>\n")
	return j
}

// cleanLang keeps a fence's language only when it is a plain name, since it lands in
// a class attribute.
func cleanLang(s string) string {
	s = strings.ToLower(s)
	if len(s) > 20 {
		return ""
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '_' || c == '#') {
			return ""
		}
	}
	return s
}

func headingLevel(line string) int {
	if indentOf(line) > 3 {
		return 0
	}
	t := strings.TrimLeft(line, " \t")
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(t) && t[n] != ' ' && t[n] != '\t') {
		return 0
	}
	return n
}

func renderHeading(b *strings.Builder, line string) {
	n := headingLevel(line)
	text := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
	// A closing run of #s is decoration.
	if k := strings.TrimRight(text, "#"); k != text && (k == "" || strings.HasSuffix(k, " ")) {
		text = strings.TrimSpace(k)
	}
	// An answer's headings sit inside a turn of a report whose own headings go to
	// h3, so they start at h4.
	level := n + 3
	if level > 6 {
		level = 6
	}
	tag := "h" + strconv.Itoa(level)
	b.WriteString("<" + tag + ">")
	b.WriteString(renderInline(text))
	b.WriteString("</" + tag + ">\n")
}

func isRule(line string) bool {
	if indentOf(line) > 3 {
		return false
	}
	t := strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(line), " ", ""), "\t", "")
	if len(t) < 3 {
		return false
	}
	for _, ch := range []string{"-", "*", "_"} {
		if strings.Trim(t, ch) == "" {
			return true
		}
	}
	return false
}

func isQuote(line string) bool {
	return indentOf(line) <= 3 && strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

func renderQuote(b *strings.Builder, lines []string, i, depth int) int {
	var inner []string
	for ; i < len(lines); i++ {
		line := lines[i]
		if isQuote(line) {
			t := strings.TrimLeft(line, " \t")[1:]
			t = strings.TrimPrefix(t, " ")
			inner = append(inner, t)
			continue
		}
		// A lazy continuation line carries on the quoted paragraph.
		if !isBlank(line) && len(inner) > 0 && !isBlank(inner[len(inner)-1]) && !startsBlock(line) {
			inner = append(inner, line)
			continue
		}
		break
	}
	b.WriteString("<blockquote>\n")
	renderBlocks(b, inner, depth+1)
	b.WriteString("</blockquote>\n")
	return i
}

// marker describes a list item's opening line.
type marker struct {
	ok      bool
	ordered bool
	start   int    // the number of an ordered item
	indent  int    // columns before the marker
	content int    // column where the item's text starts
	text    string // the text after the marker
	bullet  byte   // '-', '*', '+', or '.' / ')' for ordered lists
}

func listMarker(line string) marker {
	ind := indentOf(line)
	t := dropIndent(line, ind)
	if len(t) == 0 {
		return marker{}
	}
	switch t[0] {
	case '-', '*', '+':
		if len(t) == 1 || t[1] == ' ' || t[1] == '\t' {
			if isRule(line) {
				return marker{}
			}
			rest := strings.TrimLeft(t[1:], " \t")
			return marker{ok: true, indent: ind, content: ind + 1 + (len(t) - 1 - len(rest)), text: rest, bullet: t[0]}
		}
		return marker{}
	}
	n := 0
	for n < len(t) && n < 9 && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n == 0 || n >= len(t) || (t[n] != '.' && t[n] != ')') {
		return marker{}
	}
	if n+1 < len(t) && t[n+1] != ' ' && t[n+1] != '\t' {
		return marker{}
	}
	start, _ := strconv.Atoi(t[:n])
	rest := strings.TrimLeft(t[n+1:], " \t")
	return marker{ok: true, ordered: true, start: start, indent: ind, content: ind + n + 1 + (len(t) - n - 1 - len(rest)), text: rest, bullet: t[n]}
}

// startsBlock reports whether line would begin a block other than a paragraph, which
// ends a paragraph (and a lazy continuation).
func startsBlock(line string) bool {
	return fenceOpen(line) != "" || headingLevel(line) > 0 || isRule(line) || isQuote(line) || listMarker(line).ok
}

func renderList(b *strings.Builder, lines []string, i, depth int) int {
	first := listMarker(lines[i])
	tag := "ul"
	if first.ordered {
		tag = "ol"
	}
	if first.ordered && first.start != 1 {
		b.WriteString(`<ol start="` + strconv.Itoa(first.start) + `">` + "\n")
	} else {
		b.WriteString("<" + tag + ">\n")
	}
	for i < len(lines) {
		m := listMarker(lines[i])
		if !m.ok || m.ordered != first.ordered || m.bullet != first.bullet || m.indent > first.indent+1 {
			break
		}
		item := []string{m.text}
		j := i + 1
		for j < len(lines) {
			line := lines[j]
			if isBlank(line) {
				// A blank line continues the item only if indented content follows.
				k := j
				for k < len(lines) && isBlank(lines[k]) {
					k++
				}
				if k < len(lines) && indentOf(lines[k]) >= m.content {
					for ; j < k; j++ {
						item = append(item, "")
					}
					continue
				}
				break
			}
			if indentOf(line) >= m.content {
				item = append(item, dropIndent(line, m.content))
				j++
				continue
			}
			// A lazy continuation of the item's paragraph.
			if !startsBlock(line) && !isBlank(item[len(item)-1]) {
				item = append(item, strings.TrimLeft(line, " \t"))
				j++
				continue
			}
			break
		}
		b.WriteString("<li>")
		renderItem(b, item, depth+1)
		b.WriteString("</li>\n")
		i = j
		// Blank lines between items keep the list going.
		k := i
		for k < len(lines) && isBlank(lines[k]) {
			k++
		}
		if k < len(lines) && k > i {
			if n := listMarker(lines[k]); n.ok && n.ordered == first.ordered && n.bullet == first.bullet && n.indent <= first.indent+1 {
				i = k
			}
		}
	}
	b.WriteString("</" + tag + ">\n")
	return i
}

// renderItem renders a list item's lines; an item that is one paragraph is written
// without <p>, as in a tight list.
func renderItem(b *strings.Builder, item []string, depth int) {
	end := len(item)
	for end > 0 && isBlank(item[end-1]) {
		end--
	}
	item = item[:end]
	simple := true
	for k, l := range item {
		if isBlank(l) || (k > 0 && startsBlock(l)) || isTableStart(item, k) {
			simple = false
			break
		}
	}
	if simple && len(item) > 0 && !startsBlock(item[0]) {
		b.WriteString(renderInline(strings.Join(trimAll(item), "\n")))
		return
	}
	b.WriteString("\n")
	renderBlocks(b, item, depth)
}

func trimAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimSpace(l)
	}
	return out
}

func renderParagraph(b *strings.Builder, lines []string, i, depth int) int {
	var para []string
	for ; i < len(lines); i++ {
		line := lines[i]
		if isBlank(line) || (len(para) > 0 && (startsBlock(line) || isTableStart(lines, i))) {
			break
		}
		// A list or quote too deep to render as one stays in the paragraph as text.
		para = append(para, strings.TrimSpace(line))
	}
	if len(para) == 0 { // a line that looked like a block but could not be one
		para = append(para, strings.TrimSpace(lines[i]))
		i++
	}
	b.WriteString("<p>")
	b.WriteString(renderInline(strings.Join(para, "\n")))
	b.WriteString("</p>\n")
	return i
}

// Tables: a header row, a delimiter row of dashes (with optional colons), then rows.

func isTableStart(lines []string, i int) bool {
	if i+1 >= len(lines) || !strings.Contains(lines[i], "|") {
		return false
	}
	cells := splitRow(lines[i+1])
	if len(cells) == 0 || len(splitRow(lines[i])) != len(cells) {
		return false
	}
	for _, c := range cells {
		c = strings.TrimSpace(c)
		c = strings.TrimPrefix(c, ":")
		c = strings.TrimSuffix(c, ":")
		if len(c) == 0 || strings.Trim(c, "-") != "" {
			return false
		}
	}
	return true
}

// splitRow splits a table row on unescaped pipes outside code spans.
func splitRow(line string) []string {
	t := strings.TrimSpace(line)
	t = strings.TrimPrefix(t, "|")
	if strings.HasSuffix(t, "|") && !strings.HasSuffix(t, `\|`) {
		t = t[:len(t)-1]
	}
	var cells []string
	var cur strings.Builder
	inCode := false
	for k := 0; k < len(t); k++ {
		c := t[k]
		switch {
		case c == '\\' && k+1 < len(t) && t[k+1] == '|':
			cur.WriteByte('|')
			k++
		case c == '`':
			inCode = !inCode
			cur.WriteByte(c)
		case c == '|' && !inCode:
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	cells = append(cells, cur.String())
	return cells
}

func renderTable(b *strings.Builder, lines []string, i int) int {
	head := splitRow(lines[i])
	var align []string
	for _, c := range splitRow(lines[i+1]) {
		c = strings.TrimSpace(c)
		switch {
		case strings.HasPrefix(c, ":") && strings.HasSuffix(c, ":"):
			align = append(align, "center")
		case strings.HasSuffix(c, ":"):
			align = append(align, "right")
		default:
			align = append(align, "")
		}
	}
	cell := func(tag string, k int, text string) {
		if align[k] != "" {
			b.WriteString("<" + tag + ` class="` + align[k] + `">`)
		} else {
			b.WriteString("<" + tag + ">")
		}
		b.WriteString(renderInline(strings.TrimSpace(text)))
		b.WriteString("</" + tag + ">")
	}
	b.WriteString("<div class=\"scroll\"><table>\n<thead><tr>")
	for k, c := range head {
		cell("th", k, c)
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	i += 2
	for ; i < len(lines); i++ {
		if isBlank(lines[i]) || !strings.Contains(lines[i], "|") || startsBlock(lines[i]) {
			break
		}
		row := splitRow(lines[i])
		b.WriteString("<tr>")
		for k := range head {
			text := ""
			if k < len(row) {
				text = row[k]
			}
			cell("td", k, text)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table></div>\n")
	return i
}

// renderInline renders the inline constructs of one block's text.
func renderInline(s string) string {
	p := inlineParser{src: s, noCloser: map[closerKey]int{}}
	var b strings.Builder
	p.parse(&b, 0, len(s), 0)
	return b.String()
}

type inlineParser struct {
	src string
	// noCloser remembers, per delimiter and end of the text searched, the earliest
	// position from which a search for its closer failed: a search from further on
	// cannot succeed either. Without it, text full of unmatched delimiters (inside
	// emphasis, too) costs quadratic or cubic time.
	noCloser map[closerKey]int
}

type closerKey struct {
	delim string
	to    int
}

func (p *inlineParser) failedBefore(delim string, from, to int) bool {
	f, ok := p.noCloser[closerKey{delim, to}]
	return ok && from >= f
}

func (p *inlineParser) failed(delim string, from, to int) {
	k := closerKey{delim, to}
	if f, ok := p.noCloser[k]; !ok || from < f {
		p.noCloser[k] = from
	}
}

// parse writes src[from:to] as HTML.
func (p *inlineParser) parse(b *strings.Builder, from, to, nest int) {
	s := p.src
	text := from // start of pending plain text
	flush := func(upto int) {
		if upto > text {
			b.WriteString(escapeText(s[text:upto]))
		}
	}
	i := from
	for i < to {
		c := s[i]
		switch {
		case c == '\\' && i+1 < to && isPunct(s[i+1]):
			flush(i)
			b.WriteString(escapeText(s[i+1 : i+2]))
			i += 2
			text = i
			continue
		case c == '`':
			n := runLen(s, i, to, '`')
			if end := p.findRun(i+n, to, strings.Repeat("`", n)); end >= 0 {
				flush(i)
				code := s[i+n : end]
				if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
					code = code[1 : len(code)-1]
				}
				b.WriteString("<code>" + escapeText(strings.ReplaceAll(code, "\n", " ")) + "</code>")
				i = end + n
				text = i
				continue
			}
			i += n // unmatched backticks are text
			continue
		case (c == '*' || c == '_' || c == '~') && nest < maxInlineNest:
			if end, n, ok := p.emphasis(i, to); ok {
				flush(i)
				tag := "em"
				switch {
				case c == '~':
					tag = "del"
				case n == 2:
					tag = "strong"
				}
				b.WriteString("<" + tag + ">")
				p.parse(b, i+n, end, nest+1)
				b.WriteString("</" + tag + ">")
				i = end + n
				text = i
				continue
			}
			i += runLen(s, i, to, c)
			continue
		case c == '!' && i+1 < to && s[i+1] == '[':
			if label, dest, end, ok := p.link(i+1, to); ok {
				flush(i)
				p.writeLink(b, "image: "+label, dest, true, nest)
				i = end
				text = i
				continue
			}
		case c == '[':
			if label, dest, end, ok := p.link(i, to); ok {
				flush(i)
				p.writeLink(b, label, dest, false, nest)
				i = end
				text = i
				continue
			}
		case c == '<':
			// An autolink <https://…>; anything else in angle brackets is text.
			if end := strings.IndexByte(s[i:min(to, i+maxURL)], '>'); end > 0 {
				inner := s[i+1 : i+end]
				if u, ok := safeURL(inner); ok && !strings.ContainsAny(inner, " <") {
					flush(i)
					b.WriteString(`<a href="` + escapeText(u) + `" rel="noopener noreferrer nofollow">` + escapeText(inner) + "</a>")
					i += end + 1
					text = i
					continue
				}
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:to])
		i += size
	}
	flush(to)
}

func isPunct(c byte) bool {
	return c < utf8.RuneSelf && unicode.IsPunct(rune(c)) || strings.IndexByte("`*_~[]()<>#+-.!|\\{}", c) >= 0
}

func runLen(s string, i, to int, c byte) int {
	n := 0
	for i+n < to && s[i+n] == c {
		n++
	}
	return n
}

// findRun finds the next run of exactly delim (not part of a longer run) in
// src[from:to], or -1.
func (p *inlineParser) findRun(from, to int, delim string) int {
	key := "run" + delim
	if p.failedBefore(key, from, to) {
		return -1
	}
	s := p.src
	for k := from; k < to; {
		j := strings.Index(s[k:to], delim)
		if j < 0 {
			break
		}
		j += k
		n := runLen(s, j, to, delim[0])
		if n == len(delim) {
			return j
		}
		k = j + n
	}
	p.failed(key, from, to)
	return -1
}

// emphasis looks for a closer for the delimiter run at i: ** or __ (strong), * or _
// (em), ~~ (del). It returns the closer's position and the delimiter length.
func (p *inlineParser) emphasis(i, to int) (end, n int, ok bool) {
	s := p.src
	c := s[i]
	run := runLen(s, i, to, c)
	n = 1
	if run >= 2 {
		n = 2
	}
	if c == '~' && n != 2 {
		return 0, 0, false
	}
	// An opener must be followed by a non-space; an underscore inside a word is text.
	if i+n >= to || isSpaceByte(s[i+n]) {
		return 0, 0, false
	}
	if c == '_' && i > 0 && isWordByte(s[i-1]) {
		return 0, 0, false
	}
	key := "em" + s[i:i+n]
	if p.failedBefore(key, i, to) {
		return 0, 0, false
	}
	for k := i + n + 1; k+n <= to; k++ {
		if s[k] == '`' { // code spans bind tighter than emphasis
			m := runLen(s, k, to, '`')
			if e := p.findRun(k+m, to, strings.Repeat("`", m)); e >= 0 {
				k = e + m - 1
				continue
			}
			k += m - 1
			continue
		}
		if s[k] != c {
			continue
		}
		// Only a run of exactly the opener's length closes it: the * of a ** (or
		// the ** of a ***) belongs to another pair.
		r := runLen(s, k, to, c)
		if isSpaceByte(s[k-1]) || c == '_' && k+r < to && isWordByte(s[k+r]) {
			k += r - 1
			continue
		}
		switch {
		case r == n:
			return k, n, true
		case r == 3:
			// "**bold *it***" or "*it **bold***": the run closes an inner pair and
			// ours; ours is its last n.
			return k + 3 - n, n, true
		}
		k += r - 1
	}
	p.failed(key, i, to)
	return 0, 0, false
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf
}

// link parses [label](dest "title") at i. Nested brackets in the label are allowed
// one level deep; the title is dropped.
func (p *inlineParser) link(i, to int) (label, dest string, end int, ok bool) {
	s := p.src
	depth := 0
	k := i
	// Labels and destinations are bounded, so text full of unmatched brackets costs
	// linear time, not quadratic.
	to = min(to, i+maxLabel+maxURL)
	for ; k < to && k < i+maxLabel; k++ {
		switch s[k] {
		case '\\':
			k++
			continue
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if depth != 0 || k+1 >= to || s[k+1] != '(' {
		return "", "", 0, false
	}
	label = s[i+1 : k]
	// The destination ends at the ')' that balances the '(' (URLs hold parentheses).
	close, parens := -1, 0
	for j := k + 2; j < to && j < k+2+maxURL && close < 0; j++ {
		switch s[j] {
		case '\\':
			j++
		case '(':
			parens++
		case ')':
			if parens == 0 {
				close = j - (k + 2)
			}
			parens--
		}
	}
	if close < 0 {
		return "", "", 0, false
	}
	inner := strings.TrimSpace(s[k+2 : k+2+close])
	if strings.HasPrefix(inner, "<") && strings.Contains(inner, ">") {
		inner = inner[1:strings.IndexByte(inner, '>')]
	} else if f := strings.Fields(inner); len(f) > 0 {
		inner = f[0]
	}
	return label, inner, k + 2 + close + 1, true
}

// writeLink writes a link whose destination is kept only when it is an absolute
// http(s) URL; otherwise only its label is shown, as text. Images are never
// embedded: the report loads nothing from anywhere.
func (p *inlineParser) writeLink(b *strings.Builder, label, dest string, image bool, nest int) {
	u, ok := safeURL(dest)
	if !ok {
		if image {
			b.WriteString(escapeText("[" + label + "]"))
			return
		}
		sub := inlineParser{src: label, noCloser: map[closerKey]int{}}
		sub.parse(b, 0, len(label), nest+1)
		return
	}
	b.WriteString(`<a href="` + escapeText(u) + `" rel="noopener noreferrer nofollow">`)
	sub := inlineParser{src: label, noCloser: map[closerKey]int{}}
	sub.parse(b, 0, len(label), nest+1)
	b.WriteString("</a>")
}

// safeURL accepts only absolute http and https URLs with a host, and returns them
// re-serialised (so what lands in href is what was checked).
func safeURL(raw string) (string, bool) {
	if raw == "" || len(raw) > maxURL || strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return "", false
	}
	return u.String(), true
}
