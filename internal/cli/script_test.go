package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parleyhq/parley/internal/fakellm"
)

// TestScripts runs the command-line scripts in testdata/script: the real parley
// command (this test binary, see TestMain) against a fakellm server that lives in
// the test process, so a script can change what a model answers half-way through
// and wait on what the server saw instead of sleeping.
//
// Commands a script has besides testscript's own:
//
//	fake MODEL demo|hang|fail|hang-after N   what MODEL answers from now on
//	waitcalls MODEL N                         until the server has seen N calls to MODEL
//	calls MODEL TEXT N                        exactly N calls to MODEL had TEXT in the prompt
//	capture VAR REGEXP                        set $VAR to REGEXP's first group in stdout
func TestScripts(t *testing.T) {
	fakes := map[string]*scriptFake{}
	var mu sync.Mutex
	fakeOf := func(ts *testscript.TestScript) *scriptFake {
		mu.Lock()
		defer mu.Unlock()
		f := fakes[ts.Getenv("WORK")]
		if f == nil {
			ts.Fatalf("no fake server for this script")
		}
		return f
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			f := newScriptFake()
			env.Defer(f.srv.Close)
			mu.Lock()
			fakes[env.WorkDir] = f
			mu.Unlock()
			home := filepath.Join(env.WorkDir, "home")
			bin := strings.SplitN(env.Getenv("PATH"), string(os.PathListSeparator), 2)[0]
			for k, v := range map[string]string{
				"HOME":            home,
				"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
				"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
				"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
				"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
				"PARLEY_DB":       filepath.Join(env.WorkDir, "parley.db"),
				"OPENAI_BASE_URL": f.srv.URL() + "/v1",
				"OPENAI_API_KEY":  "sk-script-test-key",
				"OLLAMA_HOST":     "http://127.0.0.1:1", // nothing listens there
				"NO_COLOR":        "1",
				"PARLEYBIN":       bin, // PATH=$PARLEYBIN: parley alone, no agent CLIs
			} {
				env.Setenv(k, v)
			}
			for _, k := range []string{"ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY", "PARLEY_CONFIG", "PARLEY_SERVER"} {
				env.Setenv(k, "")
			}
			return os.MkdirAll(home, 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fake": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: fake MODEL demo|hang|fail|hang-after N")
				}
				n := 0
				if args[1] == "hang-after" {
					if len(args) != 3 {
						ts.Fatalf("usage: fake MODEL hang-after N")
					}
					var err error
					if n, err = strconv.Atoi(args[2]); err != nil {
						ts.Fatalf("fake: %v", err)
					}
				}
				if err := fakeOf(ts).set(args[0], args[1], n); err != nil {
					ts.Fatalf("fake: %v", err)
				}
			},
			"waitcalls": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: waitcalls MODEL N")
				}
				n, err := strconv.Atoi(args[1])
				if err != nil {
					ts.Fatalf("waitcalls: %v", err)
				}
				f := fakeOf(ts)
				deadline := time.Now().Add(30 * time.Second)
				for len(f.srv.CallsFor(args[0])) < n {
					if time.Now().After(deadline) {
						ts.Fatalf("waitcalls: %s had %d calls after 30s, want %d", args[0], len(f.srv.CallsFor(args[0])), n)
					}
					select {
					case <-f.arrived:
					case <-time.After(100 * time.Millisecond):
					}
				}
			},
			"calls": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: calls MODEL TEXT N")
				}
				want, err := strconv.Atoi(args[2])
				if err != nil {
					ts.Fatalf("calls: %v", err)
				}
				got := 0
				for _, c := range fakeOf(ts).srv.CallsFor(args[0]) {
					if strings.Contains(c.Prompt, args[1]) {
						got++
					}
				}
				if got != want {
					ts.Fatalf("calls: %d calls to %s had %q in the prompt, want %d", got, args[0], args[1], want)
				}
			},
			"capture": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: capture VAR REGEXP")
				}
				re, err := regexp.Compile(args[1])
				if err != nil {
					ts.Fatalf("capture: %v", err)
				}
				m := re.FindStringSubmatch(ts.ReadFile("stdout"))
				if len(m) < 2 {
					ts.Fatalf("capture: %q matches nothing in stdout", args[1])
				}
				ts.Setenv(args[0], m[1])
			},
		},
	})
}

// scriptFake is one script's model server; its per-model behaviour can change while
// a parley process is talking to it.
type scriptFake struct {
	srv     *fakellm.Server
	arrived chan struct{} // a call arrived (buffered; waitcalls drains it)

	mu   sync.Mutex
	mode map[string]fakeMode
}

type fakeMode struct {
	kind  string
	after int
}

func newScriptFake() *scriptFake {
	f := &scriptFake{arrived: make(chan struct{}, 1), mode: map[string]fakeMode{}}
	demo := fakellm.Demo()
	f.srv = fakellm.New(fakellm.Options{DefaultLatency: time.Millisecond})
	f.srv.Script(fakellm.AnyModel, fakellm.Script{Func: func(c fakellm.Call) fakellm.Reply {
		select {
		case f.arrived <- struct{}{}:
		default:
		}
		f.mu.Lock()
		m := f.mode[c.Model]
		f.mu.Unlock()
		switch {
		case m.kind == "hang", m.kind == "hang-after" && c.N > m.after:
			return fakellm.Reply{Hang: true}
		case m.kind == "fail":
			return fakellm.Reply{Status: 400, ErrorMessage: "scripted failure"}
		}
		r := demo.Func(c)
		r.ChunkDelay = 0 // the demo streams slowly for people; scripts need not wait
		return r
	}})
	f.srv.Start()
	return f
}

func (f *scriptFake) set(model, kind string, after int) error {
	switch kind {
	case "demo", "hang", "fail", "hang-after":
	default:
		return fmt.Errorf("unknown behaviour %q", kind)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode[model] = fakeMode{kind: kind, after: after}
	return nil
}
