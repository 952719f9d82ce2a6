package report

import (
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraph", "Hello\nworld", "<p>Hello\nworld</p>\n"},
		{"two paragraphs", "One\n\nTwo", "<p>One</p>\n<p>Two</p>\n"},
		{"heading shifted below the report's own", "# Title\n### Small", "<h4>Title</h4>\n<h6>Small</h6>\n"},
		{"heading with closing hashes", "## Plan ##", "<h5>Plan</h5>\n"},
		{"not a heading", "#hashtag", "<p>#hashtag</p>\n"},
		{"bold and italic", "**bold** and *it* and __b__ and _i_", "<p><strong>bold</strong> and <em>it</em> and <strong>b</strong> and <em>i</em></p>\n"},
		{"strikethrough", "~~old~~ new", "<p><del>old</del> new</p>\n"},
		{"nested emphasis", "**bold *and it***", "<p><strong>bold <em>and it</em></strong></p>\n"},
		{"intraword underscore", "snake_case_name", "<p>snake_case_name</p>\n"},
		{"lone star", "2 * 3 * 4", "<p>2 * 3 * 4</p>\n"},
		{"unclosed", "**not closed", "<p>**not closed</p>\n"},
		{"inline code", "use `select_related()` here", "<p>use <code>select_related()</code> here</p>\n"},
		{"code keeps stars", "`a * b * c`", "<p><code>a * b * c</code></p>\n"},
		{"double backtick code", "`` a ` b ``", "<p><code>a ` b</code></p>\n"},
		{"escape", `\*not em\*`, "<p>*not em*</p>\n"},
		{"fenced code", "```python\nx = 1 < 2\n```", "<pre><code class=\"language-python\">x &#61; 1 &lt; 2</code></pre>\n"},
		{"tilde fence", "~~~\n<b>\n~~~", "<pre><code>&lt;b&gt;</code></pre>\n"},
		{"unclosed fence runs to the end", "```\ncode", "<pre><code>code</code></pre>\n"},
		{"hostile fence language", "```\"><script>\nx\n```", "<pre><code>x</code></pre>\n"},
		{"list", "- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"},
		{"ordered list", "1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"},
		{"ordered from 3", "3) three\n4) four", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n"},
		{"nested list", "- a\n  - b\n  - c\n- d", "<ul>\n<li>\n<p>a</p>\n<ul>\n<li>b</li>\n<li>c</li>\n</ul>\n</li>\n<li>d</li>\n</ul>\n"},
		{"loose list", "- a\n\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"},
		{"list then paragraph", "- a\n\nafter", "<ul>\n<li>a</li>\n</ul>\n<p>after</p>\n"},
		{"lazy continuation", "- a\ncontinued", "<ul>\n<li>a\ncontinued</li>\n</ul>\n"},
		{"quote", "> quoted\n> more", "<blockquote>\n<p>quoted\nmore</p>\n</blockquote>\n"},
		{"rule", "a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>\n"},
		{"table", "| a | b |\n|---|--:|\n| 1 | 2 |", "<div class=\"scroll\"><table>\n<thead><tr><th>a</th><th class=\"right\">b</th></tr></thead>\n<tbody>\n<tr><td>1</td><td class=\"right\">2</td></tr>\n</tbody>\n</table></div>\n"},
		{"table pipe in code", "| a |\n|---|\n| `x|y` |", "<div class=\"scroll\"><table>\n<thead><tr><th>a</th></tr></thead>\n<tbody>\n<tr><td><code>x|y</code></td></tr>\n</tbody>\n</table></div>\n"},
		{"link", "[docs](https://example.com/a?b=c&d=e)", "<p><a href=\"https://example.com/a?b&#61;c&amp;d&#61;e\" rel=\"noopener noreferrer nofollow\">docs</a></p>\n"},
		{"link with parentheses", "[w](https://en.wikipedia.org/wiki/Go_(language))", "<p><a href=\"https://en.wikipedia.org/wiki/Go_(language)\" rel=\"noopener noreferrer nofollow\">w</a></p>\n"},
		{"link with title", `[d](https://example.com "T")`, "<p><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">d</a></p>\n"},
		{"autolink", "<https://example.com>", "<p><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\">https://example.com</a></p>\n"},
		{"javascript link dropped", "[x](javascript:alert(1))", "<p>x</p>\n"},
		{"JavaScript link dropped", "[x](JaVaScRiPt:alert(1))", "<p>x</p>\n"},
		{"tab-split scheme dropped", "[x](java\tscript:alert(1))", "<p>x</p>\n"},
		{"entity-encoded scheme dropped", "[x](&#106;avascript:alert(1))", "<p>x</p>\n"},
		{"data link dropped", "[x](data:text/html,<script>alert(1)</script>)", "<p>x</p>\n"},
		{"relative link dropped", "[x](/etc/passwd)", "<p>x</p>\n"},
		{"protocol-relative dropped", "[x](//evil.example)", "<p>x</p>\n"},
		{"credentials dropped", "[x](https://user:pw@example.com)", "<p>x</p>\n"},
		{"image never loaded", "![chart](https://example.com/c.png)", "<p><a href=\"https://example.com/c.png\" rel=\"noopener noreferrer nofollow\">image: chart</a></p>\n"},
		{"image with bad scheme", "![x](javascript:1)", "<p>[image: x]</p>\n"},
		{"raw html is text", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"img onerror is text", `<img src=x onerror="alert(1)">`, "<p>&lt;img src&#61;x onerror&#61;&#34;alert(1)&#34;&gt;</p>\n"},
		{"html in emphasis", "**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>\n"},
		{"html in link text", "[<i>x</i>](https://a.example)", "<p><a href=\"https://a.example\" rel=\"noopener noreferrer nofollow\">&lt;i&gt;x&lt;/i&gt;</a></p>\n"},
		{"quote in href cannot break out", `[x](https://a.example/"onmouseover="alert(1))`, "<p><a href=\"https://a.example/%22onmouseover&#61;%22alert%281%29\" rel=\"noopener noreferrer nofollow\">x</a></p>\n"},
		{"korean", "**측정이 먼저**입니다", "<p><strong>측정이 먼저</strong>입니다</p>\n"},
		{"NUL", "a\x00b", "<p>a\uFFFDb</p>\n"},
		{"CRLF", "a\r\n\r\nb", "<p>a</p>\n<p>b</p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(renderMarkdown(tt.in)); got != tt.want {
				t.Errorf("renderMarkdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// The tags and attributes the renderer may emit. Anything else in its output means
// input got through as markup.
var allowedTags = map[string]map[string]bool{
	"p": {}, "h4": {}, "h5": {}, "h6": {}, "strong": {}, "em": {}, "del": {}, "code": {"class": true},
	"pre": {}, "ul": {}, "ol": {"start": true}, "li": {}, "blockquote": {}, "hr": {}, "br": {},
	"div": {"class": true}, "table": {}, "thead": {}, "tbody": {}, "tr": {}, "th": {"class": true}, "td": {"class": true},
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
			if a.Key == "href" && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") {
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
		"> > > > > > > > > > deep", "- - - - - - - - - - - list",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkRendered(t, in, string(renderMarkdown(in)))
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
		// Unmatched delimiters inside emphasis, where the search ends early.
		"**" + strings.Repeat("*a `` ", 8000) + "**", "*" + strings.Repeat("_a ``` ~~", 8000) + "*",
	} {
		unit := in[:min(len(in), 12)]
		start := time.Now()
		out := renderMarkdown(in)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q… (%d bytes) took %s", unit, len(in), d)
		}
		checkRendered(t, unit+"…", string(out))
	}
}
