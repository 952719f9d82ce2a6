// Package storetest is the conformance suite that every store.Store implementation
// must pass. An implementation's own test calls Run with a function that opens a
// fresh store; the suite knows nothing of how stores are built.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/provider"
)

// Run checks that the stores made by open keep the store.Store contract.
//
// open must return a new, empty store each time it is called and arrange for it
// to be closed when the test ends (t.Cleanup); the suite never calls Close. Stores
// from different calls must not see each other's debates.
//
// Times: summary times (CreatedAt, UpdatedAt, Owner.Since) are compared with
// time.Equal, and the suite gives them microsecond precision, the finest that
// PostgreSQL keeps; event times must round-trip at full precision, since they
// travel inside the event.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Create", testCreate},
		{"AppendInOrder", testAppendInOrder},
		{"ConflictOnGap", testConflictOnGap},
		{"ConflictOnDuplicate", testConflictOnDuplicate},
		{"BatchIsAtomic", testBatchIsAtomic},
		{"NotFound", testNotFound},
		{"EventsSince", testEventsSince},
		{"DeltasIgnored", testDeltasIgnored},
		{"StatusTransitions", testStatusTransitions},
		{"List", testList},
		{"ListOrdersByCreation", testListOrdersByCreation},
		{"ListSearch", testListSearch},
		{"Claim", testClaim},
		{"RoundTrip", testRoundTrip},
		{"ConcurrentDebates", testConcurrentDebates},
		{"ConcurrentSameSeq", testConcurrentSameSeq},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// base is the suite's clock origin, of microsecond precision (see Run).
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// at is base plus n milliseconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Millisecond) }

func started(id string, atMS int, problem, mode string) debate.Event {
	return debate.Event{
		DebateID: id, Seq: 1, At: at(atMS), Kind: debate.KindDebateStarted,
		Started: &debate.Started{
			Spec:  debate.Spec{Problem: problem, Mode: mode},
			Panel: []debate.Seat{{Seat: "A", Model: "openai:gpt-5"}, {Seat: "B", Model: "anthropic:claude"}},
		},
	}
}

func note(id string, seq, atMS int, text string) debate.Event {
	return debate.Event{DebateID: id, Seq: seq, At: at(atMS), Kind: debate.KindUserNote, Text: text}
}

func turn(id string, seq, atMS int, seat, text string) debate.Event {
	return debate.Event{
		DebateID: id, Seq: seq, At: at(atMS), Kind: debate.KindTurnCompleted, Round: 1, Seat: seat,
		Turn: &debate.Turn{Text: text, Reply: debate.Reply{Position: "yes", Source: "fenced"}, Attempts: 1},
	}
}

func delta(id string, seq, atMS int, text string) debate.Event {
	return debate.Event{DebateID: id, Seq: seq, At: at(atMS), Kind: debate.KindTurnDelta, Seat: "A", Text: text}
}

func finished(id string, seq, atMS int, status debate.Status) debate.Event {
	return debate.Event{
		DebateID: id, Seq: seq, At: at(atMS), Kind: debate.KindDebateFinished,
		Finished: &debate.Finished{Status: status, StoppedBecause: "test"},
	}
}

func resumed(id string, seq, atMS int) debate.Event {
	return debate.Event{DebateID: id, Seq: seq, At: at(atMS), Kind: debate.KindDebateResumed}
}

func mustAppend(t *testing.T, s store.Store, events ...debate.Event) {
	t.Helper()
	if err := s.Append(context.Background(), events...); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func mustGet(t *testing.T, s store.Store, id string) store.Summary {
	t.Helper()
	sum, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return sum
}

// checkLog fails unless id's log is exactly want.
func checkLog(t *testing.T, s store.Store, id string, want []debate.Event) {
	t.Helper()
	got, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatalf("Events(%q): %v", id, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Events(%q) mismatch (-want +got):\n%s", id, diff)
	}
}

// seqs lists the Seq of each event of id's log.
func seqs(t *testing.T, s store.Store, id string) []int {
	t.Helper()
	events, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatalf("Events(%q): %v", id, err)
	}
	out := make([]int, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

func ids(list []store.Summary) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func testCreate(t *testing.T, s store.Store) {
	ev := started("d1", 0, "Should we rewrite it in Go?", "standard")
	mustAppend(t, s, ev)

	want := store.Summary{
		ID: "d1", Status: debate.StatusRunning, Problem: "Should we rewrite it in Go?", Mode: "standard",
		CreatedAt: at(0), UpdatedAt: at(0),
	}
	if diff := cmp.Diff(want, mustGet(t, s, "d1")); diff != "" {
		t.Errorf("Get mismatch (-want +got):\n%s", diff)
	}
	checkLog(t, s, "d1", []debate.Event{ev})

	list, err := s.List(context.Background(), store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Summary{want}, list); diff != "" {
		t.Errorf("List mismatch (-want +got):\n%s", diff)
	}
}

func testAppendInOrder(t *testing.T, s store.Store) {
	log := []debate.Event{
		started("d1", 0, "p", "m"),
		{DebateID: "d1", Seq: 2, At: at(1), Kind: debate.KindRoundStarted, Round: 1, RoundKind: "analysis"},
		{DebateID: "d1", Seq: 3, At: at(2), Kind: debate.KindTurnStarted, Round: 1, Seat: "A"},
		turn("d1", 4, 3, "A", "first"),
		turn("d1", 5, 4, "B", "second"),
		note("d1", 6, 5, "a note"),
	}
	// One event per call, then several in one call.
	mustAppend(t, s, log[0])
	mustAppend(t, s, log[1])
	mustAppend(t, s, log[2:]...)
	checkLog(t, s, "d1", log)

	sum := mustGet(t, s, "d1")
	if !sum.CreatedAt.Equal(at(0)) || !sum.UpdatedAt.Equal(at(5)) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v, %v", sum.CreatedAt, sum.UpdatedAt, at(0), at(5))
	}
	if sum.Status != debate.StatusRunning {
		t.Errorf("Status = %q, want running", sum.Status)
	}

	// Events for several debates in one call.
	mustAppend(t, s, started("d2", 10, "p2", "m"), note("d1", 7, 11, "x"), note("d2", 2, 12, "y"))
	if got, want := seqs(t, s, "d1"), []int{1, 2, 3, 4, 5, 6, 7}; !cmp.Equal(got, want) {
		t.Errorf("d1 seqs = %v, want %v", got, want)
	}
	if got, want := seqs(t, s, "d2"), []int{1, 2}; !cmp.Equal(got, want) {
		t.Errorf("d2 seqs = %v, want %v", got, want)
	}
}

func testConflictOnGap(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, started("d1", 0, "p", "m"), note("d1", 2, 1, "two"))
	wantErr(t, "seq 4 after 2", s.Append(ctx, note("d1", 4, 2, "four")), store.ErrConflict)
	wantErr(t, "seq 0", s.Append(ctx, note("d1", 0, 2, "zero")), store.ErrConflict)
	wantErr(t, "seq -1", s.Append(ctx, note("d1", -1, 2, "minus")), store.ErrConflict)
	if got := seqs(t, s, "d1"); !cmp.Equal(got, []int{1, 2}) {
		t.Errorf("seqs after refused appends = %v, want [1 2]", got)
	}
	if sum := mustGet(t, s, "d1"); !sum.UpdatedAt.Equal(at(1)) {
		t.Errorf("UpdatedAt = %v after refused appends, want %v", sum.UpdatedAt, at(1))
	}
	mustAppend(t, s, note("d1", 3, 3, "three"))
	if got := seqs(t, s, "d1"); !cmp.Equal(got, []int{1, 2, 3}) {
		t.Errorf("seqs = %v, want [1 2 3]", got)
	}
}

func testConflictOnDuplicate(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := started("d1", 0, "p", "m")
	mustAppend(t, s, first, note("d1", 2, 1, "two"))

	wantErr(t, "seq 2 again", s.Append(ctx, note("d1", 2, 2, "two again")), store.ErrConflict)
	wantErr(t, "seq 1 again", s.Append(ctx, note("d1", 1, 2, "one again")), store.ErrConflict)
	wantErr(t, "debate_started again", s.Append(ctx, started("d1", 3, "other", "m")), store.ErrConflict)
	wantErr(t, "debate_started with seq 3", s.Append(ctx, func() debate.Event {
		e := started("d1", 3, "other", "m")
		e.Seq = 3
		return e
	}()), store.ErrConflict)
	wantErr(t, "duplicate within one call", s.Append(ctx, note("d1", 3, 3, "a"), note("d1", 3, 3, "b")), store.ErrConflict)

	checkLog(t, s, "d1", []debate.Event{first, note("d1", 2, 1, "two")})
	if sum := mustGet(t, s, "d1"); sum.Problem != "p" || !sum.CreatedAt.Equal(at(0)) {
		t.Errorf("summary changed by a refused debate_started: %+v", sum)
	}
}

func testBatchIsAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, started("d1", 0, "p", "m"))

	// A gap in the middle of a call: nothing of the call is kept.
	wantErr(t, "gap in batch", s.Append(ctx, note("d1", 2, 1, "two"), note("d1", 4, 2, "four")), store.ErrConflict)
	// An unknown debate after a good event: nothing is kept either, and the new
	// debate created earlier in the same call is gone too.
	wantErr(t, "unknown debate in batch",
		s.Append(ctx, note("d1", 2, 1, "two"), started("d2", 1, "p", "m"), note("nope", 2, 2, "x")),
		store.ErrNotFound)

	if got := seqs(t, s, "d1"); !cmp.Equal(got, []int{1}) {
		t.Errorf("seqs after refused batches = %v, want [1]", got)
	}
	if _, err := s.Get(ctx, "d2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(d2) after a refused batch: %v, want ErrNotFound", err)
	}
	if sum := mustGet(t, s, "d1"); !sum.UpdatedAt.Equal(at(0)) {
		t.Errorf("UpdatedAt = %v after refused batches, want %v", sum.UpdatedAt, at(0))
	}
	mustAppend(t, s, note("d1", 2, 1, "two"), note("d1", 3, 2, "three"))
	if got := seqs(t, s, "d1"); !cmp.Equal(got, []int{1, 2, 3}) {
		t.Errorf("seqs = %v, want [1 2 3]", got)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, started("d1", 0, "p", "m"))

	_, err := s.Events(ctx, "nope")
	wantErr(t, "Events", err, store.ErrNotFound)
	_, err = s.Get(ctx, "nope")
	wantErr(t, "Get", err, store.ErrNotFound)
	wantErr(t, "Claim", s.Claim(ctx, "nope", store.Owner{}, store.Owner{Host: "h", PID: 1, Since: at(0)}), store.ErrNotFound)
	wantErr(t, "Append seq 1 to unknown", s.Append(ctx, note("nope", 1, 0, "x")), store.ErrNotFound)
	wantErr(t, "Append seq 2 to unknown", s.Append(ctx, note("nope", 2, 0, "x")), store.ErrNotFound)
	wantErr(t, "Append finished to unknown", s.Append(ctx, finished("nope", 2, 0, debate.StatusCompleted)), store.ErrNotFound)
	_, err = s.Events(ctx, "")
	wantErr(t, "Events of empty id", err, store.ErrNotFound)

	// Ids are exact: no prefix or case folding.
	_, err = s.Get(ctx, "D1")
	wantErr(t, "Get(D1)", err, store.ErrNotFound)
	_, err = s.Get(ctx, "d")
	wantErr(t, "Get(d)", err, store.ErrNotFound)

	// None of that created anything.
	list, err := s.List(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(list); !cmp.Equal(got, []string{"d1"}) {
		t.Errorf("List = %v, want [d1]", got)
	}
}

func testEventsSince(t *testing.T, s store.Store) {
	ctx := context.Background()
	log := []debate.Event{
		started("d1", 0, "p", "m"),
		note("d1", 2, 1, "two"),
		turn("d1", 3, 2, "A", "three"),
		note("d1", 4, 3, "four"),
	}
	mustAppend(t, s, log...)
	mustAppend(t, s, started("d2", 5, "p", "m"), note("d2", 2, 6, "other"))

	since := func(id string, after int) []debate.Event {
		t.Helper()
		got, err := s.EventsSince(ctx, id, after)
		if err != nil {
			t.Fatalf("EventsSince(%q, %d): %v", id, after, err)
		}
		return got
	}
	for _, c := range []struct {
		after int
		want  []debate.Event
	}{
		{-5, log}, {0, log}, {1, log[1:]}, {2, log[2:]}, {3, log[3:]},
	} {
		if diff := cmp.Diff(c.want, since("d1", c.after)); diff != "" {
			t.Errorf("EventsSince(d1, %d) mismatch (-want +got):\n%s", c.after, diff)
		}
	}
	// Nothing newer is an empty answer, not an error: the debate exists.
	for _, after := range []int{4, 5, 1000} {
		if got := since("d1", after); len(got) != 0 {
			t.Errorf("EventsSince(d1, %d) = %d events, want none", after, len(got))
		}
	}
	_, err := s.EventsSince(ctx, "nope", 0)
	wantErr(t, "EventsSince(nope, 0)", err, store.ErrNotFound)
	_, err = s.EventsSince(ctx, "nope", 3)
	wantErr(t, "EventsSince(nope, 3)", err, store.ErrNotFound)
	_, err = s.EventsSince(ctx, "", 0)
	wantErr(t, "EventsSince of empty id", err, store.ErrNotFound)

	// A follower sees what is appended after it last looked, and deltas never.
	mustAppend(t, s, delta("d1", 4, 7, "tok"), note("d1", 5, 8, "five"))
	if diff := cmp.Diff([]debate.Event{note("d1", 5, 8, "five")}, since("d1", 4)); diff != "" {
		t.Errorf("EventsSince(d1, 4) after an append (-want +got):\n%s", diff)
	}
	if got := since("d2", 1); len(got) != 1 || got[0].Text != "other" {
		t.Errorf("EventsSince(d2, 1) = %+v", got)
	}
}

func testDeltasIgnored(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, started("d1", 0, "p", "m"))

	// Deltas carry the seq of the last stored event; they are skipped, alone or mixed.
	mustAppend(t, s, delta("d1", 1, 1, "tok"))
	mustAppend(t, s, delta("d1", 1, 1, "en"), turn("d1", 2, 2, "A", "token"), delta("d1", 2, 3, "more"))
	// A delta of an unknown debate is not an error: it is not stored at all.
	if err := s.Append(ctx, delta("nope", 7, 0, "x")); err != nil {
		t.Errorf("Append(delta of unknown debate) = %v, want nil", err)
	}
	if err := s.Append(ctx); err != nil {
		t.Errorf("Append() = %v, want nil", err)
	}

	checkLog(t, s, "d1", []debate.Event{started("d1", 0, "p", "m"), turn("d1", 2, 2, "A", "token")})
	if sum := mustGet(t, s, "d1"); !sum.UpdatedAt.Equal(at(2)) {
		t.Errorf("UpdatedAt = %v, want %v (deltas must not touch the summary)", sum.UpdatedAt, at(2))
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(nope) = %v, want ErrNotFound", err)
	}
}

func testStatusTransitions(t *testing.T, s store.Store) {
	check := func(wantStatus debate.Status, wantUpdated int) {
		t.Helper()
		sum := mustGet(t, s, "d1")
		if sum.Status != wantStatus || !sum.UpdatedAt.Equal(at(wantUpdated)) || !sum.CreatedAt.Equal(at(0)) {
			t.Fatalf("summary = status %q, created %v, updated %v; want %q, %v, %v",
				sum.Status, sum.CreatedAt, sum.UpdatedAt, wantStatus, at(0), at(wantUpdated))
		}
	}
	mustAppend(t, s, started("d1", 0, "p", "m"))
	check(debate.StatusRunning, 0)
	mustAppend(t, s, turn("d1", 2, 10, "A", "x"))
	check(debate.StatusRunning, 10)
	mustAppend(t, s, finished("d1", 3, 20, debate.StatusInterrupted))
	check(debate.StatusInterrupted, 20)
	mustAppend(t, s, resumed("d1", 4, 30))
	check(debate.StatusRunning, 30)
	mustAppend(t, s, turn("d1", 5, 40, "B", "y"))
	check(debate.StatusRunning, 40)
	mustAppend(t, s, finished("d1", 6, 50, debate.StatusCompleted))
	check(debate.StatusCompleted, 50)

	// Other events do not change a finished debate's status.
	mustAppend(t, s, note("d1", 7, 60, "afterthought"))
	check(debate.StatusCompleted, 60)

	// A failed debate; and finish and resume within one call.
	mustAppend(t, s, started("d2", 0, "p", "m"), finished("d2", 2, 1, debate.StatusFailed))
	if sum := mustGet(t, s, "d2"); sum.Status != debate.StatusFailed {
		t.Errorf("d2 status = %q, want failed", sum.Status)
	}
	mustAppend(t, s, resumed("d2", 3, 2), finished("d2", 4, 3, debate.StatusInterrupted), resumed("d2", 5, 4))
	if sum := mustGet(t, s, "d2"); sum.Status != debate.StatusRunning {
		t.Errorf("d2 status = %q, want running", sum.Status)
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	list, err := s.List(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Fatalf("List of an empty store = %v", ids(list))
	}

	// Created out of order; d3 and d4 at the same instant (ties go to the greater id).
	type debateAt struct {
		id     string
		atMS   int
		status debate.Status
	}
	for _, d := range []debateAt{
		{"d2", 200, debate.StatusCompleted},
		{"d5", 500, debate.StatusRunning},
		{"d1", 100, debate.StatusRunning},
		{"d4", 300, debate.StatusFailed},
		{"d3", 300, debate.StatusCompleted},
		{"d6", 600, debate.StatusInterrupted},
	} {
		mustAppend(t, s, started(d.id, d.atMS, "problem "+d.id, "mode-"+d.id))
		if d.status != debate.StatusRunning {
			mustAppend(t, s, finished(d.id, 2, d.atMS+1, d.status))
		}
	}

	cases := []struct {
		opts store.ListOptions
		want []string
	}{
		{store.ListOptions{}, []string{"d6", "d5", "d4", "d3", "d2", "d1"}},
		{store.ListOptions{Limit: 2}, []string{"d6", "d5"}},
		{store.ListOptions{Limit: 6}, []string{"d6", "d5", "d4", "d3", "d2", "d1"}},
		{store.ListOptions{Limit: 100}, []string{"d6", "d5", "d4", "d3", "d2", "d1"}},
		{store.ListOptions{Status: debate.StatusRunning}, []string{"d5", "d1"}},
		{store.ListOptions{Status: debate.StatusCompleted}, []string{"d3", "d2"}},
		{store.ListOptions{Status: debate.StatusCompleted, Limit: 1}, []string{"d3"}},
		{store.ListOptions{Status: debate.StatusFailed}, []string{"d4"}},
		{store.ListOptions{Status: debate.StatusInterrupted}, []string{"d6"}},
		{store.ListOptions{Status: "no-such-status"}, []string{}},
	}
	for _, c := range cases {
		got, err := s.List(ctx, c.opts)
		if err != nil {
			t.Fatalf("List(%+v): %v", c.opts, err)
		}
		if !cmp.Equal(ids(got), c.want) {
			t.Errorf("List(%+v) = %v, want %v", c.opts, ids(got), c.want)
		}
	}

	// Summaries in a list are the same as Get's.
	all, err := s.List(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range all {
		if diff := cmp.Diff(mustGet(t, s, sum.ID), sum); diff != "" {
			t.Errorf("List entry %s differs from Get (-get +list):\n%s", sum.ID, diff)
		}
		if sum.Problem != "problem "+sum.ID || sum.Mode != "mode-"+sum.ID {
			t.Errorf("%s: problem, mode = %q, %q", sum.ID, sum.Problem, sum.Mode)
		}
	}
}

// testListSearch: Query matches the problem or the verdict, case-insensitively for
// ASCII, with LIKE's wildcards taken literally, and combines with Status and Limit.
func testListSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	verdict := func(id string, seq, atMS int, rec string) debate.Event {
		return debate.Event{DebateID: id, Seq: seq, At: at(atMS), Kind: debate.KindVerdictCompleted,
			Verdict: &debate.Verdict{Recommendation: rec, Confidence: 80, By: "openai:gpt-5"}}
	}
	mustAppend(t, s, started("s1", 100, "Should we adopt Kubernetes?", "standard"),
		verdict("s1", 2, 101, "Stay on plain VMs for now"), finished("s1", 3, 102, debate.StatusCompleted))
	mustAppend(t, s, started("s2", 200, "Pick a database: 100% durable", "standard"),
		verdict("s2", 2, 201, "PostgreSQL, with Kubernetes operators later"), finished("s2", 3, 202, debate.StatusCompleted))
	mustAppend(t, s, started("s3", 300, "Rust or Go for the café's till?", "standard"))
	// A turn that mentions a word is not the verdict: it must not match.
	mustAppend(t, s, turn("s3", 2, 301, "A", "zebra crossing"))
	mustAppend(t, s, started("s4", 400, "snake_case or camelCase", "standard"))

	cases := []struct {
		opts store.ListOptions
		want []string
	}{
		{store.ListOptions{Query: "kubernetes"}, []string{"s2", "s1"}}, // problem of s1, verdict of s2
		{store.ListOptions{Query: "PLAIN vms"}, []string{"s1"}},
		{store.ListOptions{Query: "café"}, []string{"s3"}},
		{store.ListOptions{Query: "zebra"}, []string{}},
		{store.ListOptions{Query: "100%"}, []string{"s2"}},
		{store.ListOptions{Query: "0% d"}, []string{"s2"}},
		{store.ListOptions{Query: "%"}, []string{"s2"}}, // literal, not a wildcard
		{store.ListOptions{Query: "e_c"}, []string{"s4"}},
		{store.ListOptions{Query: "_"}, []string{"s4"}},
		{store.ListOptions{Query: `\`}, []string{}},
		{store.ListOptions{Query: "kubernetes", Limit: 1}, []string{"s2"}},
		{store.ListOptions{Query: "kubernetes", Status: debate.StatusRunning}, []string{}},
		{store.ListOptions{Query: "or", Status: debate.StatusRunning}, []string{"s4", "s3"}},
		{store.ListOptions{Query: "nothing like this"}, []string{}},
	}
	for _, c := range cases {
		got, err := s.List(ctx, c.opts)
		if err != nil {
			t.Fatalf("List(%+v): %v", c.opts, err)
		}
		if !cmp.Equal(ids(got), c.want) {
			t.Errorf("List(%+v) = %v, want %v", c.opts, ids(got), c.want)
		}
	}
}

func testListOrdersByCreation(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, started("old", 0, "p", "m"))
	mustAppend(t, s, started("new", 10, "p", "m"))
	// The old debate is the last one touched; it still lists by its creation time.
	mustAppend(t, s, note("old", 2, 1000, "late"))
	list, err := s.List(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(list); !cmp.Equal(got, []string{"new", "old"}) {
		t.Errorf("List = %v, want [new old]", got)
	}

	// Creation times in other zones order by instant, not by their wall clocks:
	// east's clock reads 18:26, west's 01:26, yet west was created later.
	east := time.FixedZone("UTC+9", 9*3600)
	west := time.FixedZone("UTC-8", -8*3600)
	e1 := started("east", 0, "p", "m")
	e1.At = at(20).In(east)
	e2 := started("west", 0, "p", "m")
	e2.At = at(30).In(west)
	mustAppend(t, s, e2, e1)
	list, err = s.List(ctx, store.ListOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(list); !cmp.Equal(got, []string{"west", "east"}) {
		t.Errorf("List = %v, want [west east]", got)
	}
	if sum := mustGet(t, s, "east"); !sum.CreatedAt.Equal(at(20)) {
		t.Errorf("east CreatedAt = %v, want %v", sum.CreatedAt, at(20))
	}
}

func testClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, started("d1", 0, "p", "m"))
	a := store.Owner{Host: "alpha", PID: 101, Since: at(1)}
	b := store.Owner{Host: "beta", PID: 202, Since: at(2)}
	c := store.Owner{Host: "gamma", PID: 303, Since: at(3)}

	owner := func() store.Owner {
		t.Helper()
		return mustGet(t, s, "d1").Owner
	}
	sameOwner := func(got, want store.Owner) bool {
		return got.Host == want.Host && got.PID == want.PID && got.Since.Equal(want.Since)
	}

	if got := owner(); !sameOwner(got, store.Owner{}) {
		t.Fatalf("new debate owner = %+v, want none", got)
	}
	// The zero prev matches no owner.
	if err := s.Claim(ctx, "d1", store.Owner{}, a); err != nil {
		t.Fatalf("Claim(none → a): %v", err)
	}
	if got := owner(); !sameOwner(got, a) {
		t.Fatalf("owner = %+v, want %+v", got, a)
	}
	// The zero prev no longer matches.
	wantErr(t, "Claim(none → b) while a owns", s.Claim(ctx, "d1", store.Owner{}, b), store.ErrClaimed)
	// A prev that differs in any one field does not match.
	for _, prev := range []store.Owner{
		{Host: "other", PID: a.PID, Since: a.Since},
		{Host: a.Host, PID: a.PID + 1, Since: a.Since},
		{Host: a.Host, PID: a.PID, Since: a.Since.Add(time.Microsecond)},
		b,
	} {
		wantErr(t, fmt.Sprintf("Claim(%+v → b)", prev), s.Claim(ctx, "d1", prev, b), store.ErrClaimed)
	}
	if got := owner(); !sameOwner(got, a) {
		t.Fatalf("owner after refused claims = %+v, want %+v", got, a)
	}
	// The right prev takes it over; Since is compared as an instant.
	prev := a
	prev.Since = a.Since.In(time.FixedZone("UTC+5:30", 5*3600+1800))
	if err := s.Claim(ctx, "d1", prev, b); err != nil {
		t.Fatalf("Claim(a → b): %v", err)
	}
	wantErr(t, "Claim(a → c) after b took over", s.Claim(ctx, "d1", a, c), store.ErrClaimed)
	// An owner read back from the store is a valid prev.
	if err := s.Claim(ctx, "d1", owner(), c); err != nil {
		t.Fatalf("Claim(read-back b → c): %v", err)
	}
	if got := owner(); !sameOwner(got, c) {
		t.Fatalf("owner = %+v, want %+v", got, c)
	}
	// Releasing: the zero owner.
	if err := s.Claim(ctx, "d1", c, store.Owner{}); err != nil {
		t.Fatalf("Claim(c → none): %v", err)
	}
	if got := owner(); !sameOwner(got, store.Owner{}) {
		t.Fatalf("owner after release = %+v, want none", got)
	}
	wantErr(t, "Claim(c → a) after release", s.Claim(ctx, "d1", c, a), store.ErrClaimed)

	// Claims are per debate and leave the log alone.
	mustAppend(t, s, started("d2", 5, "p", "m"))
	if err := s.Claim(ctx, "d2", store.Owner{}, a); err != nil {
		t.Fatalf("Claim(d2): %v", err)
	}
	if got := owner(); !sameOwner(got, store.Owner{}) {
		t.Errorf("claiming d2 changed d1's owner to %+v", got)
	}
	if got := seqs(t, s, "d1"); !cmp.Equal(got, []int{1}) {
		t.Errorf("d1 seqs = %v, want [1]", got)
	}
	if sum := mustGet(t, s, "d2"); !sum.UpdatedAt.Equal(at(5)) || sum.Status != debate.StatusRunning {
		t.Errorf("claiming changed d2's summary: %+v", sum)
	}
}

// nasty is text that has broken stores before: non-ASCII (Korean, emoji, a
// combining mark), markup, quotes, SQL, control characters and a NUL.
const nasty = "토론은 끝났습니다 — 합의: 예 🎉 e\u0301 <script>alert('x')</script> \"q\" `b` \\ " +
	"'; DROP TABLE debates; -- \t\r\n\x00 \u2028 </textarea>&amp;"

// everything returns a log in which every kind of event appears with every field of
// its payload set, ending with one event that carries every payload at once (the
// store must not care which payloads a kind is meant to have).
func everything(id string) []debate.Event {
	big := strings.Repeat("긴 글 <b>bold</b> "+nasty+" ", 3000) // ~300 KB
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	kst := time.FixedZone("KST", 9*3600)
	t0 := time.Date(2026, 3, 14, 18, 26, 53, 589793238, kst) // nanoseconds, not UTC

	startedPayload := &debate.Started{
		Spec: debate.Spec{
			Problem: "문제: " + nasty, Context: big, Mode: "standard", Rounds: 3, Chair: "B",
			Timeout: 90 * time.Second, MaxAttempts: 5, RetryBase: 1500 * time.Millisecond,
			MaxCostUSD: 2.75, Seed: -1234567890123,
		},
		Panel: []debate.Seat{
			{Seat: "A", Model: "openai:gpt-5", Label: "GPT-5 <i>", Persona: "skeptic " + nasty, Temperature: f(0.7)},
			{Seat: "B", Model: "anthropic:claude", Label: "cli:claude#2", Persona: "optimist", Temperature: f(0)},
		},
	}
	turnPayload := &debate.Turn{
		Text: big,
		Reply: debate.Reply{
			Position: "채택 " + nasty, Confidence: i(85), Changed: true, Converged: true,
			Answer: "42", Ranking: []string{"B", "A"}, Reason: "<script>why</script>", Source: "fenced",
		},
		Usage:     provider.Usage{InputTokens: 12345, OutputTokens: 678},
		CostUSD:   0.012345,
		LatencyMS: 4321, Attempts: 2, Prompt: "prompt " + nasty, Truncated: true,
		ErrorClass: provider.ClassRateLimited, Error: "429 " + nasty,
	}
	retryPayload := &debate.Retry{Attempt: 1, Class: provider.ClassServer, Error: "502 <html>", Wait: 1750 * time.Millisecond}
	agreement := &debate.Agreement{Live: 2, Failed: 1, Converged: true}
	verdict := &debate.Verdict{
		Recommendation: "권고: " + nasty, Confidence: 77, By: "anthropic:claude",
		Consensus: []string{"a", "합의"}, Disagreements: []string{"<b>"}, Dissent: []string{"A: no"},
		Risks: []string{"r1", "r2"}, NextSteps: []string{"ship"}, Text: big,
	}
	fin := &debate.Finished{Status: debate.StatusCompleted, StoppedBecause: "converged", Error: "none " + nasty}

	n := 0
	ev := func(kind debate.Kind) debate.Event {
		n++
		return debate.Event{DebateID: id, Seq: n, At: t0.Add(time.Duration(n) * time.Nanosecond), Kind: kind, Round: 2, Seat: "A"}
	}
	var log []debate.Event
	add := func(e debate.Event) { log = append(log, e) }

	e := ev(debate.KindDebateStarted)
	e.Round, e.Seat = 0, ""
	e.Started = startedPayload
	add(e)
	e = ev(debate.KindRoundStarted)
	e.RoundKind = "critique"
	add(e)
	add(ev(debate.KindTurnStarted))
	e = ev(debate.KindTurnRetrying)
	e.Retry = retryPayload
	add(e)
	e = ev(debate.KindTurnCompleted)
	e.Turn = turnPayload
	add(e)
	e = ev(debate.KindTurnFailed)
	e.Seat = "B"
	e.Turn = &debate.Turn{Reply: debate.Reply{Source: "none"}, LatencyMS: 1, Attempts: 4, ErrorClass: provider.ClassTimeout, Error: "timeout"}
	add(e)
	e = ev(debate.KindUserNote)
	e.Text = "사용자 메모 " + nasty
	add(e)
	e = ev(debate.KindRoundCompleted)
	e.Agreement = agreement
	add(e)
	e = ev(debate.KindVerdictFailed)
	e.Turn = &debate.Turn{Error: "chair failed", ErrorClass: provider.ClassEmpty, Attempts: 4}
	add(e)
	e = ev(debate.KindVerdictCompleted)
	e.Seat = "B"
	e.Verdict = verdict
	add(e)
	e = ev(debate.KindDebateFinished)
	e.Finished = fin
	add(e)
	e = ev(debate.KindDebateResumed)
	add(e)

	e = ev(debate.KindUserNote)
	e.Started, e.RoundKind, e.Text, e.Retry, e.Turn = startedPayload, "final", nasty, retryPayload, turnPayload
	e.Agreement, e.Verdict, e.Finished = agreement, verdict, fin
	add(e)
	return log
}

func testRoundTrip(t *testing.T, s store.Store) {
	log := everything("토론-<script>-1")
	mustAppend(t, s, log[:3]...)
	for _, e := range log[3:] {
		mustAppend(t, s, e)
	}
	checkLog(t, s, log[0].DebateID, log)

	sum := mustGet(t, s, log[0].DebateID)
	if sum.Problem != log[0].Started.Spec.Problem || sum.Mode != "standard" || sum.ID != log[0].DebateID {
		t.Errorf("summary = %+v", sum)
	}
	// debate_resumed followed the finish: running.
	if sum.Status != debate.StatusRunning {
		t.Errorf("Status = %q, want running", sum.Status)
	}
	// Summary times may be kept at microsecond precision only.
	if d := sum.CreatedAt.Sub(log[0].At); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("CreatedAt = %v, want %v", sum.CreatedAt, log[0].At)
	}
	if d := sum.UpdatedAt.Sub(log[len(log)-1].At); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("UpdatedAt = %v, want %v", sum.UpdatedAt, log[len(log)-1].At)
	}

	// The events handed back are the caller's own: changing them changes nothing stored.
	got, err := s.Events(context.Background(), log[0].DebateID)
	if err != nil {
		t.Fatal(err)
	}
	got[4].Turn.Text = "mutated"
	checkLog(t, s, log[0].DebateID, log)
}

// testConcurrentDebates runs 100 debates at once, each appending its own events one
// call at a time, as a server with many debates in flight does.
func testConcurrentDebates(t *testing.T, s store.Store) {
	const debates, perDebate = 100, 12
	ctx := context.Background()
	text := strings.Repeat("동시에 ", 200)
	var wg sync.WaitGroup
	errs := make(chan error, debates)
	for d := range debates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("c%03d", d)
			if err := s.Append(ctx, started(id, d, "p "+id, "m")); err != nil {
				errs <- fmt.Errorf("%s: %w", id, err)
				return
			}
			for seq := 2; seq <= perDebate; seq++ {
				var e debate.Event
				switch {
				case seq == perDebate:
					e = finished(id, seq, 1000+seq, debate.StatusCompleted)
				case seq%3 == 0:
					// A streamed delta before the turn it belongs to.
					if err := s.Append(ctx, delta(id, seq-1, 1000+seq, "d")); err != nil {
						errs <- fmt.Errorf("%s delta: %w", id, err)
						return
					}
					fallthrough
				default:
					e = turn(id, seq, 1000+seq, "A", text)
				}
				if err := s.Append(ctx, e); err != nil {
					errs <- fmt.Errorf("%s seq %d: %w", id, seq, err)
					return
				}
				// Readers run alongside the writers.
				if seq == perDebate/2 {
					if _, err := s.Events(ctx, id); err != nil {
						errs <- fmt.Errorf("%s Events: %w", id, err)
						return
					}
					if _, err := s.List(ctx, store.ListOptions{Limit: 10}); err != nil {
						errs <- fmt.Errorf("%s List: %w", id, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	list, err := s.List(ctx, store.ListOptions{Status: debate.StatusCompleted})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != debates {
		t.Fatalf("List(completed) has %d debates, want %d", len(list), debates)
	}
	for i, sum := range list {
		want := fmt.Sprintf("c%03d", debates-1-i)
		if sum.ID != want {
			t.Fatalf("List[%d] = %s, want %s", i, sum.ID, want)
		}
		got := seqs(t, s, sum.ID)
		if len(got) != perDebate || got[0] != 1 || got[perDebate-1] != perDebate {
			t.Fatalf("%s seqs = %v", sum.ID, got)
		}
	}
}

// testConcurrentSameSeq races writers for the same next seq: exactly one wins.
func testConcurrentSameSeq(t *testing.T, s store.Store) {
	const writers = 20
	ctx := context.Background()
	mustAppend(t, s, started("d1", 0, "p", "m"))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		won      []string
		unwanted []error
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprintf("writer %d", w)
			err := s.Append(ctx, note("d1", 2, 1, text), note("d1", 3, 2, text))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, text)
			case !errors.Is(err, store.ErrConflict):
				unwanted = append(unwanted, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range unwanted {
		t.Errorf("Append: %v, want nil or ErrConflict", err)
	}
	if len(won) != 1 {
		t.Fatalf("%d writers won seq 2, want exactly 1", len(won))
	}
	// The winner's two events are both there, and nobody else's.
	events, err := s.Events(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[1].Text != won[0] || events[2].Text != won[0] {
		t.Fatalf("log after the race: %+v", events)
	}
}
