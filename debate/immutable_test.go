package debate

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/provider"
)

// A consumer that scribbles over every event it is given must not change the
// engine's record: the record Run returns is what was emitted, not what the
// consumer made of it.
func TestConsumerMutatingEventsDoesNotChangeTheRecord(t *testing.T) {
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": answerer("B", 0), "C": answerer("C", 0)},
		map[string]string{"A": "fake:a", "B": "fake:b", "C": "fake:c"})
	var mu sync.Mutex
	var seen []Event
	rec, err := Run(context.Background(), d, func(e Event) error {
		mu.Lock()
		seen = append(seen, e.Clone())
		mu.Unlock()
		if e.Turn != nil {
			e.Turn.Text = "MUTATED"
			e.Turn.Reply.Position = "MUTATED"
			e.Turn.Usage.OutputTokens = 1e6
		}
		if e.Verdict != nil {
			e.Verdict.Recommendation = "MUTATED"
			e.Verdict.Consensus[0] = "MUTATED"
		}
		if e.Started != nil {
			e.Started.Panel[0].Model = "MUTATED"
			e.Started.Spec.Problem = "MUTATED"
			e.Started.Mode.Rounds[0].Prompt = "MUTATED"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	if strings.Contains(string(b), "MUTATED") {
		t.Fatalf("a consumer's change reached the engine's record: %s", b)
	}
	if d.Mode.Rounds[0].Prompt == "MUTATED" {
		t.Fatal("a consumer's change reached the caller's mode")
	}
	// And the record is exactly the fold of what was emitted.
	want, _ := json.Marshal(Replay(seen))
	if string(want) != string(b) {
		t.Fatalf("Run's record differs from Replay of the emitted log:\n run    %s\n replay %s", b, want)
	}
}

// Redact reaches every string of every event, the parsed reply's fields included,
// and the engine's record never holds the secret either.
func TestRedactKeepsTheKeyOutOfEventsAndRecord(t *testing.T) {
	const key = "sk-test-0123456789abcdef"
	leaky := &scripted{reply: func(n int, req provider.Request) (provider.Response, error) {
		if n == 1 {
			return provider.Response{}, &provider.Error{Class: provider.ClassServer, Status: 500, Message: "upstream said: bad key " + key}
		}
		if roundOf(req) == 0 {
			return provider.Response{Text: "```json\n{\"recommendation\": \"rotate " + key + "\", \"confidence\": 90, \"consensus\": [\"" + key + "\"]}\n```"}, nil
		}
		return provider.Response{Text: "My key is " + key + "\n```json\n{\"position\": \"use " + key + "\", \"confidence\": 70}\n```"}, nil
	}}
	d := newDebate(t, map[string]provider.Model{"A": leaky, "B": answerer("B", 0), "C": answerer("C", 0)},
		map[string]string{"A": "fake:a", "B": "fake:b", "C": "fake:c"})
	d.Spec.Problem = "Is " + key + " safe to commit?"
	redact := func(s string) string { return strings.ReplaceAll(s, key, "[redacted]") }
	d.Redact = redact
	var mu sync.Mutex
	var leaks []string
	rec, err := Run(context.Background(), d, func(e Event) error {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), key) {
			mu.Lock()
			leaks = append(leaks, string(b))
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) > 0 {
		t.Fatalf("%d events carried the key, e.g. %s", len(leaks), leaks[0])
	}
	b, _ := json.Marshal(rec)
	if strings.Contains(string(b), key) || !strings.Contains(string(b), "[redacted]") {
		t.Fatalf("the record holds the key or was not redacted: %s", b)
	}
	if !strings.Contains(d.Spec.Problem, key) {
		t.Fatal("redaction wrote into the caller's spec")
	}
}

// Clone must share no memory with its source, whatever fields Event gains: every
// pointer, slice and map in a fully populated event is checked.
func TestCloneSharesNothing(t *testing.T) {
	var e Event
	fill(reflect.ValueOf(&e).Elem(), 0)
	c := e.Clone()
	if !reflect.DeepEqual(e, c) {
		t.Fatal("the clone differs from the event")
	}
	var walk func(a, b reflect.Value, path string)
	walk = func(a, b reflect.Value, path string) {
		switch a.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if a.IsNil() {
				t.Errorf("%s: fill left it nil", path)
				return
			}
			if a.Pointer() == b.Pointer() {
				t.Errorf("%s is shared between an event and its clone", path)
			}
		}
		switch a.Kind() {
		case reflect.Pointer:
			walk(a.Elem(), b.Elem(), path)
		case reflect.Struct:
			for i := range a.NumField() {
				if a.Type().Field(i).IsExported() {
					walk(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
				}
			}
		case reflect.Slice:
			for i := range a.Len() {
				walk(a.Index(i), b.Index(i), path+"[]")
			}
		case reflect.Map:
			for _, k := range a.MapKeys() {
				walk(a.MapIndex(k), b.MapIndex(k), path+"[k]")
			}
		}
	}
	walk(reflect.ValueOf(e), reflect.ValueOf(c), "Event")
}

// fill sets every exported field to a non-zero value, one element per slice or map.
func fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth+1)
		val := reflect.New(v.Type().Elem()).Elem()
		fill(val, depth+1)
		m.SetMapIndex(k, val)
		v.Set(m)
	}
}

// A slow durable append of one seat's answer must not hold the other seats: B's
// call (its start and its streamed text) finishes while A's append is still running.
// With the engine's lock held across emit, B's first delta waits for the append.
func TestSlowAppendDoesNotHoldOtherSeats(t *testing.T) {
	appending := make(chan struct{})
	bDone := make(chan time.Duration, 1)
	var once sync.Once
	slowB := provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		if roundOf(req) == 1 {
			<-appending // A's append has begun
			start := time.Now()
			for i := range 20 {
				onDelta(strings.Repeat("b", i+1))
			}
			once.Do(func() { bDone <- time.Since(start) })
		}
		return answerer("B", 0).Generate(ctx, req, nil)
	})
	d := newDebate(t, map[string]provider.Model{"A": answerer("A", 0), "B": slowB, "C": answerer("C", 0)},
		map[string]string{"A": "fake:a", "B": "fake:b", "C": "fake:c"})
	d.Spec.Rounds = 1
	const appendTime = 2 * time.Second
	var proceeded bool
	var bTook time.Duration
	_, err := Run(context.Background(), d, func(e Event) error {
		if e.Kind == KindTurnCompleted && e.Seat == "A" && e.Round == 1 {
			close(appending)
			select {
			case bTook = <-bDone:
				proceeded = true
			case <-time.After(appendTime):
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !proceeded {
		t.Fatalf("seat B's streamed call waited for seat A's %s append", appendTime)
	}
	t.Logf("seat B streamed 20 deltas in %s while seat A's append was running", bTook)
}

// The engine parses each answer once and the record carries that parse, in the run's
// own record and in one replayed from the stored (JSON) log alike, so eval and
// reports need not parse again.
func TestTurnRecordCarriesTheParsedReply(t *testing.T) {
	withAnswer := func(seat string) *scripted {
		return &scripted{reply: func(n int, req provider.Request) (provider.Response, error) {
			if roundOf(req) == 0 {
				return provider.Response{Text: "```json\n{\"recommendation\": \"42\", \"answer\": \"42\", \"confidence\": 90}\n```"}, nil
			}
			return provider.Response{Text: "```json\n{\"position\": \"it is 42\", \"answer\": \"42-" + seat + "\", \"confidence\": 70}\n```"}, nil
		}}
	}
	d := newDebate(t, map[string]provider.Model{"A": withAnswer("A"), "B": withAnswer("B")}, map[string]string{"A": "fake:a", "B": "fake:b"})
	c := &collector{}
	rec, err := Run(context.Background(), d, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c.events)
	var stored []Event
	if err := json.Unmarshal(b, &stored); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*Record{"run": rec, "replay": Replay(stored)} {
		for _, tr := range r.Rounds[0].Turns {
			if tr.Reply.Answer != "42-"+tr.Seat || tr.Reply.Source != SourceFenced {
				t.Errorf("%s: seat %s's Reply = %+v", name, tr.Seat, tr.Reply)
			}
		}
		if r.VerdictTurn == nil || r.VerdictTurn.Reply.Answer != "42" {
			t.Errorf("%s: the verdict turn's Reply is %+v", name, r.VerdictTurn)
		}
	}
}
