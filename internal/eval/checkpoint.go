package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/parleyhq/parley/debate"
)

// SpecVersion is the checkpoint format; a file of another version is refused rather
// than misread.
const SpecVersion = 1

// Spec is what an eval was asked to do. It is the checkpoint's first line, and a
// resumed eval takes everything from it, so that `--resume ID` alone continues the
// same questions with the same strategies even if the data set file has moved.
type Spec struct {
	Version   int       `json:"version"`
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	// Dataset is the file as given; DatasetItems how many questions it held.
	Dataset      string `json:"dataset"`
	DatasetItems int    `json:"dataset_items"`
	Limit        int    `json:"limit,omitempty"`
	Sample       int    `json:"sample,omitempty"`
	SampleSeed   int64  `json:"sample_seed,omitempty"`
	// Panel is the -m list; strategies may name further models (self-consistency:REF).
	Panel      []string      `json:"panel"`
	Strategies []Strategy    `json:"strategies"`
	Rounds     int           `json:"rounds,omitempty"`     // debate modes' round cap; 0: the mode's
	Timeout    time.Duration `json:"timeout_ns,omitempty"` // per model call; 0: the engine's default
	// Seed makes every debate's shuffles reproducible (each gets one derived from it).
	Seed  int64  `json:"seed"`
	Items []Item `json:"items"`
}

// Result is one finished (question, strategy) pair.
type Result struct {
	Item     int    `json:"item"`     // Item.Index
	Strategy string `json:"strategy"` // Strategy.Key
	DebateID string `json:"debate_id"`
	// Status is the debate's: completed, or failed (no verdict: quorum lost, every
	// chair failed). A failed run has no answer and scores as wrong.
	Status         debate.Status `json:"status"`
	StoppedBecause string        `json:"stopped_because,omitempty"`
	Error          string        `json:"error,omitempty"`
	// Answer is what the strategy answered, as extracted (before normalisation).
	Answer string `json:"answer"`
	// FirstRound is, for debates, the majority answer of the independent first round
	// (the engine's baseline): what a plain vote of the same turns would have said.
	FirstRound   string  `json:"first_round,omitempty"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	WallMS       int64   `json:"wall_ms"`
	Calls        int     `json:"calls"`
	Failed       int     `json:"failed_calls,omitempty"`
	// Confidence is the verdict's stated confidence (0–100); nil when it stated none.
	Confidence *int `json:"confidence,omitempty"`
	// Seats are the independent (first-round) answers of every model seat, for
	// per-seat accuracy, calibration and error correlation.
	Seats []SeatAnswer `json:"seats,omitempty"`
	// Flips are a debate's answer changes as the engine labelled them
	// (debate.AnalyseFlips); scored against the gold answer in the report.
	Flips []debate.FlipDetail `json:"flips,omitempty"`
	// Rounds are a debate's rounds: cost, answers changed, and each round's majority.
	Rounds []debate.RoundChange `json:"rounds,omitempty"`
}

// SeatAnswer is one seat's independent answer and the confidence it stated.
type SeatAnswer struct {
	Seat       string `json:"seat"`
	Model      string `json:"model"`
	Answer     string `json:"answer"`
	Confidence *int   `json:"confidence,omitempty"`
}

// line is one line of the checkpoint file.
type line struct {
	Type   string        `json:"type"` // "eval", "event" or "result"
	Spec   *Spec         `json:"spec,omitempty"`
	Job    string        `json:"job,omitempty"`
	Event  *debate.Event `json:"event,omitempty"`
	Result *Result       `json:"result,omitempty"`
}

// JobKey names a (question, strategy) pair in the checkpoint.
func JobKey(item int, strategy string) string { return fmt.Sprintf("%d/%s", item, strategy) }

// Checkpoint is an eval's durable state: an append-only JSONL file under the data
// directory (evals/ID.jsonl). A result line is fsynced before the pair counts as done;
// event lines are written at once (they survive the process dying) and fsynced at
// each finished turn. A torn last line — the process died mid-write — is cut off
// when the file is opened again. The file is locked while open, so two processes
// cannot run one eval at once.
type Checkpoint struct {
	path   string
	f      *os.File
	unlock func()

	mu      sync.Mutex
	spec    Spec
	results []Result
	done    map[string]bool
	logs    map[string][]debate.Event // unfinished jobs' events, for resuming them
}

// Path is where eval id's checkpoint lives under dataDir.
func Path(dataDir, id string) string { return filepath.Join(dataDir, "evals", id+".jsonl") }

// ErrBusy is returned when another process holds the eval open.
var ErrBusy = errors.New("another parley process is running this eval")

// Create starts a new checkpoint at path with the spec as its first line.
func Create(path string, spec Spec) (*Checkpoint, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	spec.Version = SpecVersion
	c := &Checkpoint{path: path, f: f, unlock: unlock, spec: spec, done: map[string]bool{}, logs: map[string][]debate.Event{}}
	if err := c.write(line{Type: "eval", Spec: &spec}, true); err != nil {
		c.Close()
		return nil, err
	}
	syncDir(filepath.Dir(path))
	return c, nil
}

// Open reads an existing checkpoint and readies it for appending.
func Open(path string) (*Checkpoint, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	c := &Checkpoint{path: path, f: f, unlock: unlock, done: map[string]bool{}, logs: map[string][]debate.Event{}}
	if err := c.load(); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// load reads every line. A last line that does not parse or has no newline is the
// remains of an interrupted write: it is cut off. A bad line before the last is
// corruption and an error.
func (c *Checkpoint) load() error {
	if _, err := c.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(c.f)
	var good int64 // bytes up to the end of the last good line
	n := 0
	haveSpec := false
	for {
		b, err := r.ReadBytes('\n')
		if len(b) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return err
		}
		n++
		torn := err == io.EOF // no newline: the write was cut short
		var l line
		if jerr := json.Unmarshal(bytes.TrimSpace(b), &l); jerr != nil || torn {
			if _, peek := r.Peek(1); peek == io.EOF {
				break // the torn tail
			}
			return fmt.Errorf("line %d is not a checkpoint record: %v", n, jerr)
		}
		good += int64(len(b))
		switch l.Type {
		case "eval":
			if l.Spec == nil {
				return fmt.Errorf("line %d: an eval line without its spec", n)
			}
			if l.Spec.Version != SpecVersion {
				return fmt.Errorf("checkpoint format %d, this parley reads %d", l.Spec.Version, SpecVersion)
			}
			c.spec, haveSpec = *l.Spec, true
		case "event":
			if l.Event != nil && !c.done[l.Job] {
				c.logs[l.Job] = append(c.logs[l.Job], *l.Event)
			}
		case "result":
			if l.Result != nil {
				k := JobKey(l.Result.Item, l.Result.Strategy)
				if !c.done[k] {
					c.done[k] = true
					c.results = append(c.results, *l.Result)
				}
				delete(c.logs, k)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if !haveSpec {
		return errors.New("not an eval checkpoint (no spec line)")
	}
	if err := c.f.Truncate(good); err != nil {
		return fmt.Errorf("cutting off a torn last line: %w", err)
	}
	return nil
}

// Spec is the eval's spec.
func (c *Checkpoint) Spec() Spec { return c.spec }

// Path is the checkpoint file.
func (c *Checkpoint) Path() string { return c.path }

// Results returns the finished pairs, in the order they finished.
func (c *Checkpoint) Results() []Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Result(nil), c.results...)
}

// Count is the number of finished pairs.
func (c *Checkpoint) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.results)
}

// Done reports whether the pair has a result.
func (c *Checkpoint) Done(job string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done[job]
}

// Log returns the stored events of an unfinished pair's debate (nil: none).
func (c *Checkpoint) Log(job string) []debate.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]debate.Event(nil), c.logs[job]...)
}

// AppendEvent stores one event of a pair's debate. The prompt is left out: the engine
// rebuilds prompts from the log, and they would make the file several times larger.
func (c *Checkpoint) AppendEvent(job string, e debate.Event) error {
	if e.Turn != nil {
		t := *e.Turn
		t.Prompt, t.PromptPieces = "", nil
		e.Turn = &t
	}
	sync := false
	switch e.Kind {
	case debate.KindTurnCompleted, debate.KindTurnFailed, debate.KindVerdictCompleted,
		debate.KindVerdictFailed, debate.KindSummaryCompleted, debate.KindDebateFinished:
		sync = true // a paid-for answer: worth an fsync
	}
	return c.write(line{Type: "event", Job: job, Event: &e}, sync)
}

// AppendResult stores a finished pair durably.
func (c *Checkpoint) AppendResult(r Result) error {
	if err := c.write(line{Type: "result", Result: &r}, true); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := JobKey(r.Item, r.Strategy)
	if !c.done[k] {
		c.done[k] = true
		c.results = append(c.results, r)
	}
	delete(c.logs, k)
	return nil
}

func (c *Checkpoint) write(l line, sync bool) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return errors.New("the checkpoint is closed")
	}
	// One Write per line: with O_APPEND a line is never interleaved with another.
	if _, err := c.f.Write(b); err != nil {
		return fmt.Errorf("writing the checkpoint: %w", err)
	}
	if sync {
		if err := c.f.Sync(); err != nil {
			return fmt.Errorf("syncing the checkpoint: %w", err)
		}
	}
	return nil
}

// Close releases the file and its lock.
func (c *Checkpoint) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	if c.unlock != nil {
		c.unlock()
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// syncDir makes a new file's directory entry durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
