package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/parleyhq/parley/internal/config"
)

// lineReader reads answers from stdin one line at a time, shared by the
// clarification and note prompts of one run.
type lineReader struct {
	once sync.Once
	sc   *bufio.Scanner
	io   IO
}

func (l *lineReader) ask(ctx context.Context, prompt string) (string, error) {
	l.once.Do(func() { l.sc = bufio.NewScanner(l.io.In) })
	fmt.Fprint(l.io.Err, prompt)
	lines := make(chan string, 1)
	go func() {
		if l.sc.Scan() {
			lines <- l.sc.Text()
		}
		close(lines)
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case line := <-lines:
		return strings.TrimSpace(line), nil
	}
}

// askClarifications shows the chair's questions on stderr and reads an answer to
// each from stdin; an empty line skips a question.
func askClarifications(io IO) func(context.Context, []string) ([]string, error) {
	lr := &lineReader{io: io}
	return func(ctx context.Context, qs []string) ([]string, error) {
		fmt.Fprintf(io.Err, "\nThe chair asks %d question(s) before the debate (press Enter to skip one):\n", len(qs))
		var answers []string
		for i, q := range qs {
			a, err := lr.ask(ctx, fmt.Sprintf("  %d. %s\n     > ", i+1, q))
			if err != nil {
				return nil, err
			}
			answers = append(answers, a)
		}
		return answers, nil
	}
}

// askNote pauses after a round for an optional note to the panel.
func askNote(io IO) func(context.Context, int) (string, error) {
	lr := &lineReader{io: io}
	return func(ctx context.Context, round int) (string, error) {
		return lr.ask(ctx, fmt.Sprintf("\nRound %d is done. A note or constraint for the panel's next round (Enter for none): ", round))
	}
}

func workspaceDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", usageErr("give an existing directory", "--workspace %s: %v", dir, err)
	}
	info, err := os.Stat(abs)
	if err != nil || !info.IsDir() {
		return "", usageErr("give an existing directory", "--workspace %s is not a directory", dir)
	}
	return abs, nil
}

// withEnv overlays one variable on an environment.
func withEnv(env config.Env, key, value string) config.Env {
	return func(k string) string {
		if k == key {
			return value
		}
		return env(k)
	}
}
