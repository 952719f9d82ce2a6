package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/fakellm"
	"github.com/parleyhq/parley/internal/report"
)

// The sections of docs/CONTRACT-EXTENSIONS.md and the kinds of name their
// subsections list. The CONTRACT itself lives outside the repository, so the
// document carries its own copy of the contract's names ("In the contract") and
// everything else ("Extensions"); the test holds the code to the union of both.
const (
	inContract = "In the contract"
	extensions = "Extensions"
)

var extKinds = map[string]string{
	"Commands":              "command",
	"Flags":                 "flag",
	"Environment variables": "env", // listed by hand: no one place in the code names them all
	"JSON result keys":      "json",
	"MCP tools":             "mcp",
	"HTTP routes":           "route",
}

// extEntry is one name the document lists, and where.
type extEntry struct {
	section string // inContract or extensions
	line    int
}

// extDoc is the document's entries by kind, then by name.
type extDoc map[string]map[string]extEntry

// bulletNames is a bullet's leading names: "- `a`, `b`: what they are".
var bulletNames = regexp.MustCompile("^- ((?:`[^`]+`(?:, )?)+)")

func readExtDoc(t *testing.T, path string) extDoc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc := extDoc{}
	var section, kind string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			section, kind = strings.TrimSpace(line[3:]), ""
			if section != inContract && section != extensions {
				section = "" // prose sections (how to use the document) list nothing
			}
			continue
		case strings.HasPrefix(line, "### "):
			if section == "" {
				continue
			}
			heading := strings.TrimSpace(line[4:])
			var ok bool
			if kind, ok = extKinds[heading]; !ok {
				t.Errorf("%s:%d: subsection %q of %q is none of the kinds the test knows; use one of %v", path, n, heading, section, slices.Sorted(mapsKeys(extKinds)))
			}
			continue
		}
		if section == "" || kind == "" {
			continue
		}
		m := bulletNames.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, name := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
			if doc[kind] == nil {
				doc[kind] = map[string]extEntry{}
			}
			if prev, dup := doc[kind][name[1]]; dup {
				t.Errorf("%s:%d: %s %q is listed again (first on line %d, under %s)", path, n, kind, name[1], prev.line, prev.section)
				continue
			}
			doc[kind][name[1]] = extEntry{section: section, line: n}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return doc
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// kindProblems names every name the code has that the document lacks (required),
// and every name the document lists that the code no longer has (exists).
func kindProblems(doc extDoc, kind string, required, exists map[string]bool) []string {
	var out []string
	for _, name := range slices.Sorted(mapsKeys(required)) {
		if _, ok := doc[kind][name]; !ok {
			out = append(out, fmt.Sprintf("%s %q is in neither %q nor %q of docs/CONTRACT-EXTENSIONS.md: add a line for it", kind, name, inContract, extensions))
		}
	}
	for _, name := range slices.Sorted(mapsKeys(doc[kind])) {
		if !exists[name] && !required[name] {
			out = append(out, fmt.Sprintf("docs/CONTRACT-EXTENSIONS.md:%d lists %s %q, which parley no longer has: remove or rename it", doc[kind][name].line, kind, name))
		}
	}
	return out
}

func checkKind(t *testing.T, doc extDoc, kind string, required, exists map[string]bool) {
	t.Helper()
	if len(required) == 0 {
		t.Fatalf("found no %s names in the code: the walk is broken", kind)
	}
	for _, p := range kindProblems(doc, kind, required, exists) {
		t.Error(p)
	}
}

// TestContractExtensionsDoc holds docs/CONTRACT-EXTENSIONS.md to the code: every
// command, flag, top-level and contract-object JSON key, MCP tool and input, and
// HTTP route is listed, in the contract or as an extension, and every name listed
// still exists.
func TestContractExtensionsDoc(t *testing.T) {
	doc := readExtDoc(t, filepath.Join("..", "..", "docs", "CONTRACT-EXTENSIONS.md"))
	if doc["command"]["parley run"].section != inContract {
		t.Fatalf("the document's %q section does not list parley run: the reader or the document is broken", inContract)
	}

	t.Run("commands and flags", func(t *testing.T) {
		cmds, flags := cobraNames(newRoot(System()))
		checkKind(t, doc, "command", cmds, cmds)
		checkKind(t, doc, "flag", flags, flags)
	})

	t.Run("JSON result keys", func(t *testing.T) {
		contractObj := func(path string) bool { return doc["json"][path].section == inContract }
		required, exists := map[string]bool{}, map[string]bool{}
		rt := reflect.TypeFor[debate.Record]()
		jsonKeys(rt, "", contractObj, required, 0)
		jsonKeys(rt, "", func(string) bool { return true }, exists, 0)
		// report.JSONWith adds keys of its own beside the Record's.
		var buf bytes.Buffer
		if err := report.JSONWith(&buf, &debate.Record{}, report.Options{Calibration: &report.Calibration{}}); err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
			t.Fatal(err)
		}
		for k := range top {
			if !exists[k] && !exists[k+"[]"] {
				required[k], exists[k] = true, true
				jsonKeys(reflect.TypeFor[report.Calibration](), k+".", func(string) bool { return true }, exists, 0)
			}
		}
		checkKind(t, doc, "json", required, exists)
	})

	t.Run("MCP tools", func(t *testing.T) {
		e := newMCPEnv(t, fakellm.Options{})
		c := e.connect(t, mcpOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tools, err := c.cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, tool := range tools.Tools {
			names[tool.Name] = true
			b, _ := json.Marshal(tool.InputSchema)
			var schema struct {
				Properties map[string]json.RawMessage `json:"properties"`
			}
			if err := json.Unmarshal(b, &schema); err != nil {
				t.Fatalf("%s's input schema: %v", tool.Name, err)
			}
			for p := range schema.Properties {
				names[tool.Name+"."+p] = true
			}
		}
		checkKind(t, doc, "mcp", names, names)
	})

	t.Run("HTTP routes", func(t *testing.T) {
		routes := serverRoutes(t, filepath.Join("..", "server"))
		checkKind(t, doc, "route", routes, routes)
	})

}

// cobraNames is every command path and every "PATH --flag" of the tree, with
// cobra's own help, completion and --version commands added as Execute would.
// The root runs a debate with run's flags (CONTRACT: parley [run] [flags]), so a
// root flag that run also has is named once, as run's.
func cobraNames(root *cobra.Command) (cmds, flags map[string]bool) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()
	var run *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "run" {
			run = c
		}
	}
	cmds, flags = map[string]bool{}, map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		cmds[c.CommandPath()] = true
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" { // cobra gives every command one
				return
			}
			if c == root && run != nil && run.LocalFlags().Lookup(f.Name) != nil {
				return
			}
			flags[c.CommandPath()+" --"+f.Name] = true
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return cmds, flags
}

// jsonKeys adds the JSON paths of t's fields under prefix: "rounds[].turns[].text".
// It goes into a field's object only when into says so, which is how the contract's
// objects are walked in full and an extension's are named once.
func jsonKeys(t reflect.Type, prefix string, into func(string) bool, out map[string]bool, depth int) {
	t = derefType(t)
	if t.Kind() != reflect.Struct || depth > 6 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			jsonKeys(f.Type, prefix, into, out, depth+1)
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := prefix + name
		ft := derefType(f.Type)
		if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			// "[]" marks an array of objects, whose keys are named under it; an
			// array of strings is one value.
			if el := derefType(ft.Elem()); el.Kind() == reflect.Struct {
				path += "[]"
				ft = el
			}
		}
		out[path] = true
		if ft != reflect.TypeFor[time.Time]() && into(path) {
			jsonKeys(ft, path+".", into, out, depth+1)
		}
	}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// routeLiteral is a route pattern as internal/server registers it: api("GET
// /api/x", ...), mux.Handle("/mcp", ...), mux.HandleFunc("GET /{$}", ...).
var routeLiteral = regexp.MustCompile(`\b(?:api|Handle|HandleFunc)\("((?:[A-Z]+ )?/[^"]*)"`)

func serverRoutes(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routeLiteral.FindAllSubmatch(src, -1) {
			// "GET /{$}" is Go's spelling of "exactly /"; the document says GET /.
			routes[strings.ReplaceAll(string(m[1]), "{$}", "")] = true
		}
	}
	if len(routes) < 5 {
		t.Fatalf("found only %d routes in %s: %v", len(routes), dir, routes)
	}
	return routes
}

// The document's reader and checks themselves: a missing and a stale name are
// both reported, so the test above cannot pass by reading nothing.
func TestContractExtensionsChecker(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "doc.md")
	text := "# x\n\n## " + inContract + "\n\n### Commands\n\n- `parley`: runs\n\n## " + extensions + "\n\n### Commands\n\n- `parley gone`, `parley also-gone`: removed\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := readExtDoc(t, path)
	if got := fmt.Sprint(len(doc["command"])); got != "3" {
		t.Fatalf("read %s commands, want 3: %+v", got, doc)
	}
	code := map[string]bool{"parley": true, "parley new": true}
	got := kindProblems(doc, "command", code, code)
	if len(got) != 3 || !strings.Contains(got[0], `"parley new"`) || !strings.Contains(got[1], `"parley also-gone"`) || !strings.Contains(got[2], `"parley gone"`) {
		t.Errorf("problems with a document that lacks parley new and lists two gone commands:\n%s", strings.Join(got, "\n"))
	}
	if got := kindProblems(doc, "command", map[string]bool{"parley": true}, map[string]bool{"parley gone": true, "parley also-gone": true}); len(got) != 0 {
		t.Errorf("problems with a document that matches the code: %v", got)
	}
}
