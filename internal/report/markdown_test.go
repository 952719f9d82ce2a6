package report

import (
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// TestRenderMarkdown: the constructs answers use, and the injections a hostile
// answer tries. Cases ported from the hand-written renderer this replaced; the
// output is goldmark's, sanitised by bluemonday.
func TestRenderMarkdown(t *testing.T) {
	const rel = ` rel="noopener noreferrer nofollow"`
	tests := []struct {
		name, in, want string
	}{
		{"paragraph", "Hello\nworld", "<p>Hello\nworld</p>\n"},
		{"two paragraphs", "One\n\nTwo", "<p>One</p>\n<p>Two</p>\n"},
		{"heading shifted below the report's own", "# Title\n### Small", "<h4>Title</h4>\n<h6>Small</h6>\n"},
		{"not a heading", "#hashtag", "<p>#hashtag</p>\n"},
		{"bold, italic, strikethrough", "**bold** and *it* and ~~old~~", "<p><strong>bold</strong> and <em>it</em> and <del>old</del></p>\n"},
		{"intraword underscore", "snake_case_name", "<p>snake_case_name</p>\n"},
		{"inline code", "use `select_related()` here", "<p>use <code>select_related()</code> here</p>\n"},
		{"fenced code", "```python\nx = 1 < 2\n```", "<pre><code class=\"language-python\">x &#61; 1 &lt; 2\n</code></pre>\n"},
		{"hostile fence language", "```\"><script>\nx\n```", "<pre><code>x\n</code></pre>\n"},
		{"list", "- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"},
		{"ordered from 3", "3. three\n4. four", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n"},
		{"task list stays text", "- [ ] task", "<ul>\n<li>[ ] task</li>\n</ul>\n"},
		{"quote", "> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"},
		{"table", "| a | b |\n|---|--:|\n| 1 | 2 |", "<div class=\"scroll\"><table>\n<thead>\n<tr>\n<th>a</th>\n<th align=\"right\">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td align=\"right\">2</td>\n</tr>\n</tbody>\n</table></div>\n"},
		{"table pipe in code", "| a |\n|---|\n| `x\\|y` |", "<div class=\"scroll\"><table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td><code>x|y</code></td>\n</tr>\n</tbody>\n</table></div>\n"},
		{"link", "[docs](https://example.com/a?b=c&d=e)", "<p><a href=\"https://example.com/a?b=c&amp;d=e\"" + rel + ">docs</a></p>\n"},
		{"autolink", "see https://example.com", "<p>see <a href=\"https://example.com\"" + rel + ">https://example.com</a></p>\n"},
		{"javascript link dropped", "[x](javascript:alert(1))", "<p>x</p>\n"},
		{"JavaScript link dropped", "[x](JaVaScRiPt:alert(1))", "<p>x</p>\n"},
		{"entity-encoded scheme dropped", "[x](&#106;avascript:alert(1))", "<p>x</p>\n"},
		{"data link dropped", "[x](data:text/html,<script>alert(1)</script>)", "<p>x</p>\n"},
		{"relative link dropped", "[x](/etc/passwd)", "<p>x</p>\n"},
		{"protocol-relative dropped", "[x](//evil.example)", "<p>x</p>\n"},
		{"image never loaded", "![chart](https://example.com/c.png)", "<p><a href=\"https://example.com/c.png\"" + rel + ">image: chart</a></p>\n"},
		{"image with bad scheme", "![x](javascript:1)", "<p>image: x</p>\n"},
		{"raw html is text", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"img onerror is text", `<img src=x onerror="alert(1)">`, "<p>&lt;img src&#61;x onerror&#61;&#34;alert(1)&#34;&gt;</p>\n"},
		{"inline html is text", "a <b>bold</b> c", "<p>a &lt;b&gt;bold&lt;/b&gt; c</p>\n"},
		{"html in emphasis", "**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>\n"},
		{"html in link text", "[<i>x</i>](https://a.example)", "<p><a href=\"https://a.example\"" + rel + ">&lt;i&gt;x&lt;/i&gt;</a></p>\n"},
		{"quote in href cannot break out", `[x](https://a.example/"onmouseover="alert(1))`, "<p><a href=\"https://a.example/%22onmouseover=%22alert(1)\"" + rel + ">x</a></p>\n"},
		{"many brackets are text", strings.Repeat("[a](", 2001), "<p>" + strings.Repeat("[a](", 2001) + "</p>\n"},
		{"deep nesting is text", strings.Repeat("> ", 17) + "x", "<p>" + strings.Repeat("&gt; ", 17) + "x</p>\n"},
		{"a long rule is a rule", "a\n\n" + strings.Repeat("-", 40) + "\n\nb", "<p>a</p>\n<hr/>\n<p>b</p>\n"},
		{"nesting within bounds", "> > x", "<blockquote>\n<blockquote>\n<p>x</p>\n</blockquote>\n</blockquote>\n"},
		{"korean", "**측정이 먼저**입니다", "<p><strong>측정이 먼저</strong>입니다</p>\n"},
		{"NUL", "a\x00b", "<p>a\uFFFDb</p>\n"},
		{"CRLF", "a\r\n\r\nb", "<p>a</p>\n<p>b</p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RenderMarkdown(tt.in))
			if got != tt.want {
				t.Errorf("RenderMarkdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			checkRendered(t, tt.in, got)
		})
	}
}

func TestRenderInline(t *testing.T) {
	for in, want := range map[string]string{
		"**b** and `c`":       "<strong>b</strong> and <code>c</code>",
		"# not a heading":     "# not a heading",
		"- not a list":        "- not a list",
		"<script>x</script>":  "&lt;script&gt;x&lt;/script&gt;",
		"a=b":                 "a&#61;b",
		"[l](javascript:x())": "l",
	} {
		if got := renderInline(in); got != want {
			t.Errorf("renderInline(%q) = %q, want %q", in, got, want)
		}
	}
}

// The tags and attributes the renderer may emit. Anything else in its output means
// input got through as markup.
var allowedTags = map[string]map[string]bool{
	"p": {}, "h4": {}, "h5": {}, "h6": {}, "strong": {}, "em": {}, "del": {}, "code": {"class": true},
	"pre": {}, "ul": {}, "ol": {"start": true}, "li": {}, "blockquote": {}, "hr": {}, "br": {},
	"div": {"class": true}, "table": {}, "thead": {}, "tbody": {}, "tr": {}, "th": {"align": true}, "td": {"align": true},
	"a": {"href": true, "rel": true},
}

func checkRendered(t *testing.T, in, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizing the output of %q: %v", in, z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		attrs, ok := allowedTags[tok.Data]
		if !ok {
			t.Fatalf("input %q produced a <%s> element:\n%s", in, tok.Data, out)
		}
		for _, a := range tok.Attr {
			if !attrs[a.Key] {
				t.Fatalf("input %q produced <%s %s=%q>:\n%s", in, tok.Data, a.Key, a.Val, out)
			}
			if a.Key == "href" && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") && !strings.HasPrefix(a.Val, "mailto:") {
				t.Fatalf("input %q produced href=%q", in, a.Val)
			}
			if a.Key == "rel" && a.Val != "noopener noreferrer nofollow" {
				t.Fatalf("input %q produced rel=%q", in, a.Val)
			}
		}
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"# h\n\n**b** *i* `c` [l](https://x.example) <https://y.example>\n\n- a\n  - b\n1. c\n\n> q\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```go\nx\n```",
		"<script>alert(1)</script>", "[x](javascript:alert(1))", `<img src=x onerror=alert(1)>`,
		"![a](https://x.example/a.png)", "***x***", "[[x]](https://a.example)", "`` ` ``", "\\`x`",
		"> > > > > > > > > > deep", "- - - - - - - - - - - list", "<div>\n<svg onload=alert(1)>\n</div>",
		"<!-- c --><style>*{}</style>", "<a href=\"javascript:x\">x</a>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkRendered(t, in, string(RenderMarkdown(in)))
	})
}

// Hostile input must not make the renderer slow: unmatched delimiters are the classic
// way to make a Markdown parser quadratic.
func TestRenderMarkdownStaysLinear(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("*a ", 40000), strings.Repeat("**", 40000), strings.Repeat("_a ", 40000),
		strings.Repeat("`", 40000), strings.Repeat("` ``", 20000), strings.Repeat("[a](", 40000),
		strings.Repeat("~~x ", 40000), strings.Repeat("<a ", 40000), strings.Repeat("> ", 40000),
		strings.Repeat("- ", 40000),
		"**" + strings.Repeat("*a `` ", 8000) + "**", "*" + strings.Repeat("_a ``` ~~", 8000) + "*",
	} {
		unit := in[:min(len(in), 12)]
		start := time.Now()
		out := RenderMarkdown(in)
		if d := time.Since(start); d > 5*time.Second { // generous: the race detector slows goldmark ~10×
			t.Errorf("%q… (%d bytes) took %s", unit, len(in), d)
		}
		checkRendered(t, unit+"…", string(out))
	}
}

// benchAnswer is a typical answer: headings, a list, a table, code, a link.
var benchAnswer = strings.Repeat("## Plan\n\nProfile **first**, then fix the `N+1` queries; see [the docs](https://docs.djangoproject.com/).\n\n"+
	"- install django-silk\n- export the top queries\n\n| approach | cost |\n|---|--:|\n| indexes | low |\n\n```python\nqs = Order.objects.select_related(\"customer\")\n```\n\n", 8)

func BenchmarkRenderMarkdown(b *testing.B) {
	b.SetBytes(int64(len(benchAnswer)))
	for b.Loop() {
		renderMarkdown(benchAnswer)
	}
}
