package cli_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/models"
)

// subcommands lists a command's subcommands as completion offers them.
func (h *harness) subcommands(path []string) [][]string {
	got, _ := h.complete(append(append([]string{}, path...), "")...)
	var out [][]string
	for name := range got {
		if name == "help" || name == "completion" || strings.HasPrefix(name, "-") {
			continue
		}
		out = append(out, append(append([]string{}, path...), name))
	}
	return out
}

// refLiteral finds PROVIDER:MODEL refs in help text.
var refLiteral = regexp.MustCompile(`\b(openai|anthropic|gemini|openrouter):([a-z0-9][a-z0-9./-]*[a-z0-9])`)

// Every command's help: no "parley parley", no flag whose name cobra took from
// backticks in its usage, and every model named in an example is one the
// catalogue knows (so examples do not fall a generation behind unnoticed).
func TestHelpTextOfEveryCommand(t *testing.T) {
	h := newHarness(t)
	queue := [][]string{{}}
	seen := 0
	backtickFlag := regexp.MustCompile(`(?m)^\s+(-\w, )?--[\w-]+ [^ ]+ [^ ]+\s{2,}`) // "--mode parley modes   …"
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		queue = append(queue, h.subcommands(path)...)
		res := h.run(append(append([]string{}, path...), "--help")...)
		seen++
		name := "parley " + strings.Join(path, " ")
		if res.code != 0 {
			t.Errorf("%s --help: exit %d", name, res.code)
			continue
		}
		if strings.Contains(res.stdout, "parley parley") {
			t.Errorf("%s --help says parley parley", name)
		}
		if strings.Contains(res.stdout, "`") {
			t.Errorf("%s --help has a backtick:\n%s", name, res.stdout)
		}
		if m := backtickFlag.FindString(res.stdout); m != "" {
			t.Errorf("%s --help: a flag rendered with a multi-word value name: %q", name, m)
		}
		checkRefsInCatalogue(t, name+" --help", res.stdout)
	}
	if seen < 15 {
		t.Errorf("walked only %d commands", seen)
	}
	// A flag error's hint names the command's whole path.
	for args, want := range map[string]string{"--bogus": "Try: parley --help", "config show --bogus": "Try: parley config show --help", "models --bogus": "Try: parley models --help"} {
		res := h.run(strings.Fields(args)...)
		if res.code != 2 || !strings.Contains(res.stderr, want+"\n") {
			t.Errorf("%s: exit %d\n%s", args, res.code, res.stderr)
		}
	}
}

func TestExampleModelsAreInTheCatalogue(t *testing.T) {
	checkRefsInCatalogue(t, "the starter config", config.Starter)
	// The fakellm line names models the fake serves under openai: on purpose.
	var how []string
	for _, l := range strings.Split(models.HowToConfigure, "\n") {
		if !strings.Contains(l, "fakellm") {
			how = append(how, l)
		}
	}
	checkRefsInCatalogue(t, "HowToConfigure", strings.Join(how, "\n"))
}

func checkRefsInCatalogue(t *testing.T, where, text string) {
	t.Helper()
	for _, m := range refLiteral.FindAllStringSubmatch(text, -1) {
		if _, ok := models.Lookup(m[1], m[2]); !ok {
			t.Errorf("%s names %s:%s, which the catalogue does not know", where, m[1], m[2])
		}
	}
}
