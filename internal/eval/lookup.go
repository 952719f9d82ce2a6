package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/parleyhq/parley/internal/report"
)

// LookupCalibration says what a debate's stated confidence is worth, from the stored
// evals under dataDir (evals/*.jsonl): of the verdicts the same panel gave at about
// that confidence with the same strategy, the share that were right.
//
// panel is the debate's model refs, one per seat, as written (debate.Seat.Model); an
// eval counts when its -m list holds the same refs the same number of times, in any
// order (three seats of one model are not the panel of two). strategy is the
// debate's mode name, matched against the eval's debate and vote strategies (a
// single model or self-consistency is not a panel). Of the evals that match and
// have at least one verdict with a stated confidence, the newest decides: an older
// eval may have measured different models behind the same refs. Its answer is the
// reliability bin the stated confidence falls in (tenths, as the eval report bins
// them) and the strategy's Brier score; nil when no eval matches or that bin is
// empty. Evals that cannot be read are passed over, not reported: a lookup must not
// keep a report from rendering.
//
// The files are only read, never locked or repaired, so a lookup neither waits for
// nor disturbs an eval that is running: its torn last line is ignored.
func LookupCalibration(dataDir string, panel []string, strategy string, stated int) (*report.Calibration, error) {
	dir := filepath.Dir(Path(dataDir, "x"))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	want := slices.Clone(panel)
	sort.Strings(want)

	type candidate struct {
		path string
		spec Spec
		s    Strategy
	}
	var cands []candidate
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".jsonl" {
			continue
		}
		path := filepath.Join(dir, e.Name())
		spec, err := readSpec(path)
		if err != nil {
			continue
		}
		got := slices.Clone(spec.Panel)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			continue
		}
		for _, s := range spec.Strategies {
			if s.Name == strategy && (s.Kind == KindDebate || s.Kind == KindVote) {
				cands = append(cands, candidate{path, spec, s})
				break
			}
		}
	}
	// Newest first; the id breaks ties, so the choice does not depend on the order
	// the directory lists files in.
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i].spec, cands[j].spec
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID > b.ID
	})
	for _, c := range cands {
		results, err := readResults(c.path)
		if err != nil {
			continue
		}
		gold := map[int]string{}
		for _, it := range c.spec.Items {
			gold[it.Index] = it.Gold
		}
		var rs []Result
		for _, r := range results {
			if _, ok := gold[r.Item]; ok && r.Strategy == c.s.Key {
				rs = append(rs, r)
			}
		}
		cal := confidences(c.s, rs, gold)
		if cal == nil {
			continue // no verdict of this eval stated a confidence yet
		}
		lo := float64(binOf(stated)) / 10
		for _, b := range cal.Bins {
			if b.Lo == lo {
				return &report.Calibration{
					Stated:     stated,
					Calibrated: int(math.Round(b.Accuracy * 100)),
					Samples:    b.N,
					Brier:      cal.Brier,
					EvalID:     c.spec.ID,
					Strategy:   c.s.Key,
				}, nil
			}
		}
		return nil, nil
	}
	return nil, nil
}

// lookupLine is a checkpoint line without its event: a lookup needs the spec and the
// results, and leaving the events out spares decoding every turn's text.
type lookupLine struct {
	Type   string  `json:"type"`
	Spec   *Spec   `json:"spec,omitempty"`
	Result *Result `json:"result,omitempty"`
}

// readSpec reads a checkpoint's first line, its spec.
func readSpec(path string) (Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return Spec{}, err
	}
	defer f.Close()
	b, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return Spec{}, err // no complete first line: not an eval yet
	}
	var l lookupLine
	if err := json.Unmarshal(bytes.TrimSpace(b), &l); err != nil {
		return Spec{}, err
	}
	if l.Type != "eval" || l.Spec == nil || l.Spec.Version != SpecVersion {
		return Spec{}, errors.New("not an eval checkpoint this parley reads")
	}
	return *l.Spec, nil
}

// readResults reads a checkpoint's results, the first of each pair, as Checkpoint
// does. A line without its newline is a write in progress and is left out.
func readResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out []Result
	seen := map[string]bool{}
	for {
		b, err := r.ReadBytes('\n')
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(b, []byte(`{"type":"event"`)) {
			continue // events are most of the file, as Checkpoint writes it; skip them undecoded
		}
		var l lookupLine
		if err := json.Unmarshal(bytes.TrimSpace(b), &l); err != nil {
			return nil, err
		}
		if l.Type != "result" || l.Result == nil {
			continue
		}
		if k := JobKey(l.Result.Item, l.Result.Strategy); !seen[k] {
			seen[k] = true
			out = append(out, *l.Result)
		}
	}
}
