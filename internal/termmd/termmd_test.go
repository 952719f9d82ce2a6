package termmd_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/parleyhq/parley/internal/termmd"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// TestRenderReportsGolden renders the report package's own golden reports, the
// verdict report and the transcript, with a fixed 256-colour profile.
func TestRenderReportsGolden(t *testing.T) {
	for _, name := range []string{"debate.md", "debate.transcript.md"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", "report", "testdata", name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			out := termmd.Render(src, termmd.Options{Width: 80, Profile: colorprofile.ANSI256})
			golden(t, name+".ansi", out)
			plain := ansi.Strip(string(out))
			for _, want := range []string{
				"## 결론 — 신뢰도 82%",             // a heading
				"• Measure before optimizing", // a bullet
			} {
				if name == "debate.md" && !strings.Contains(plain, want) {
					t.Errorf("rendered report lacks %q", want)
				}
			}
			if strings.Contains(plain, "**") || strings.Contains(plain, "|---") {
				t.Errorf("Markdown syntax left in the rendered report:\n%s", plain)
			}
		})
	}
}

// TestRenderWrapsAtWidth: no line is wider than the width asked for, tables and
// lists included, and wrapped list text stays indented under its bullet.
func TestRenderWrapsAtWidth(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "report", "testdata", "debate.md.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{40, 60, 100} {
		out := ansi.Strip(string(termmd.Render(src, termmd.Options{Width: width, Profile: colorprofile.ANSI})))
		for _, l := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("width %d: line of %d columns: %q", width, w, l)
			}
		}
	}
	md := "- " + strings.Repeat("word ", 30) + "\n"
	out := ansi.Strip(string(termmd.Render([]byte(md), termmd.Options{Width: 40, Profile: colorprofile.Ascii})))
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "• word") || !strings.HasPrefix(lines[1], "  word") {
		t.Errorf("wrapped bullet:\n%s", out)
	}
}

// TestRenderTable: a table is drawn with borders, every cell kept, and the
// column alignment of the Markdown honoured.
func TestRenderTable(t *testing.T) {
	md := "| name | calls | note |\n|:---|---:|:---:|\n| alpha | 7 | x |\n| b | 1234 | centred |\n"
	out := ansi.Strip(string(termmd.Render([]byte(md), termmd.Options{Width: 80, Profile: colorprofile.Ascii})))
	want := strings.Join([]string{
		"┌───────┬───────┬─────────┐",
		"│ name  │ calls │  note   │",
		"├───────┼───────┼─────────┤",
		"│ alpha │     7 │    x    │",
		"│ b     │  1234 │ centred │",
		"└───────┴───────┴─────────┘",
		"",
	}, "\n")
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
}

// TestRenderElements covers the node kinds a report and models' answers contain.
func TestRenderElements(t *testing.T) {
	md := "# Title\n\n### Third\n\nSome *em*, **strong**, `code` and [a link](https://example.com/x).\n\n" +
		"1. one\n2. two\n   - nested\n\n> quoted **text**\n\n```go\nfunc main() {\n\tprintln(\"hi\")\n}\n```\n\n---\n\nline one  \nline two \\*not em\\* &amp; <b>raw</b>\n"
	out := ansi.Strip(string(termmd.Render([]byte(md), termmd.Options{Width: 60, Profile: colorprofile.Ascii})))
	for _, want := range []string{
		"Title\n",
		"### Third\n",
		"Some em, strong, code and a link (https://example.com/x).\n",
		"1. one\n2. two\n   • nested\n",
		"│ quoted text\n",
		"  func main() {\n      println(\"hi\")\n  }\n",
		strings.Repeat("─", 60),
		"line one\nline two *not em* & <b>raw</b>\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered output lacks %q:\n%s", want, out)
		}
	}
	styled := string(termmd.Render([]byte("**strong** and *em*"), termmd.Options{Width: 60, Profile: colorprofile.ANSI256}))
	for _, want := range []string{"\x1b[1mstrong", "\x1b[3mem"} {
		if !strings.Contains(styled, want) {
			t.Errorf("styled output lacks %q: %q", want, styled)
		}
	}
}

// TestRenderNoColorProfile: with a profile without colour the output has
// no colour sequences (Ascii keeps bold and italic; NoTTY drops every style).
func TestRenderNoColorProfile(t *testing.T) {
	md := "## Head\n\n`code` **b** | x\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
	if out := termmd.Render([]byte(md), termmd.Options{Width: 60, Profile: colorprofile.Ascii}); bytes.Contains(out, []byte("38;")) {
		t.Errorf("Ascii profile: colour in output: %q", out)
	}
	if out := termmd.Render([]byte(md), termmd.Options{Width: 60, Profile: colorprofile.NoTTY}); bytes.ContainsRune(out, 0x1b) {
		t.Errorf("NoTTY profile: escape in output: %q", out)
	}
}

// TestRenderDropsControlCharacters: nothing a model writes can put an escape
// sequence or another control character on the terminal, raw or as a Markdown
// character reference, in any kind of node. The only ESCs left are SGR styles
// this package writes.
func TestRenderDropsControlCharacters(t *testing.T) {
	evil := []string{
		"\x1b]52;c;aGVsbG8=\x07",                                        // OSC 52: write the clipboard
		"\x1b[2J\x1b[H",                                                 // clear the screen
		"\x9b31m",                                                       // 8-bit CSI
		"&#27;[31m", "&#x1b;]0;title&#7;", "&#155;2J", "&#x9B;", "&#0;", // resolved by Markdown
		"\r", "\x08", "\x7f",
	}
	for _, e := range evil {
		md := "# h" + e + "\n\npara " + e + " *em" + e + "* `code" + e + "` [l" + e + "](http://x/" + e + ")\n\n" +
			"- item " + e + "\n\n> quote " + e + "\n\n```\ncode " + e + "\n```\n\n| a" + e + " | b |\n|---|---|\n| c" + e + " | d |\n\n<div>" + e + "</div>\n"
		for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.NoTTY} {
			out := string(termmd.Render([]byte(md), termmd.Options{Width: 60, Profile: p}))
			rest := sgr.ReplaceAllString(out, "")
			for _, r := range rest {
				if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f {
					t.Errorf("input %q, profile %v: control character %U reached the output: %q", e, p, r, out)
					break
				}
			}
		}
	}
}
