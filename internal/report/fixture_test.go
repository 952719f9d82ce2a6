package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/provider"
)

// The golden debate: a recorded event log in testdata, produced once by running the
// real engine against scripted in-process models (TestGenerateEvents with
// -generate), then given deterministic times and committed. Every renderer test reads
// the log, so the reports are tested against what the engine really writes.
//
// It holds everything the renderers must handle: a Korean problem and answers, a
// failed turn (seat C, round 2: rate limited after 3 attempts), a flip with a reason
// (seat B, round 2), a turn whose prompt was truncated (seat A, round 3), and an
// answer carrying <script>, <img onerror> and a javascript: link.

const eventsFile = "testdata/debate.events.json"

var generate = flag.Bool("generate", false, "rewrite "+eventsFile+" by running the engine with scripted models")

// loadEvents reads the golden debate's log.
func loadEvents(t testing.TB) []debate.Event {
	t.Helper()
	data, err := os.ReadFile(eventsFile)
	if err != nil {
		t.Fatalf("reading the golden log: %v", err)
	}
	var events []debate.Event
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatalf("decoding %s: %v", eventsFile, err)
	}
	return events
}

// goldenRecord is the golden debate folded into its Record.
func goldenRecord(t testing.TB) *debate.Record {
	t.Helper()
	return debate.Replay(loadEvents(t))
}

const goldenProblem = "우리 Django API가 느립니다 (p95 1.8초). Redis 캐싱, 데이터베이스 인덱스, 쿼리 최적화 중 무엇부터 시작해야 할까요?"

// The scripted answers, by seat and round (0 is the verdict). ”' stands for ``` and
// ” for a single backtick, which a raw string cannot hold.
var scripted = map[string]map[int]string{
	"A": {
		1: `## 요약

**쿼리 최적화부터** 시작하세요. 캐시나 인덱스를 추가하기 전에 어디서 시간이 쓰이는지 측정해야 합니다.

### 검토한 접근법

1. **프로파일링 후 쿼리 최적화** — ''django-silk'' 또는 ''django-debug-toolbar''로 상위 엔드포인트를 측정하고 N+1 쿼리를 ''select_related''/''prefetch_related''로 제거합니다.
2. **데이터베이스 인덱스** — 효과는 크지만, 어떤 쿼리가 느린지 모르면 추측에 불과합니다.
3. **Redis 캐싱** — 읽기 비중이 높은 엔드포인트에는 좋지만 무효화(invalidation) 비용이 큽니다.

### 트레이드오프

| 접근법 | 비용 | 위험 |
|---|---|---|
| 쿼리 최적화 | 낮음 | 낮음 |
| 인덱스 | 낮음 | 쓰기 성능 저하 |
| Redis | 중간 | 오래된 데이터 (stale data) |

'''python
# N+1 제거 예시
orders = Order.objects.select_related("customer").prefetch_related("items")
'''

'''json
{"position": "Profile first, then fix N+1 queries", "confidence": 70, "changed": false, "converged": false}
'''`,
		2: `### 동의하는 점
- B의 ''pg_stat_statements'' 제안은 좋습니다. 프로파일링과 같은 목표입니다.

### 동의하지 않는 점
- C의 Redis 우선 전략: 원인을 모른 채 캐시하면 문제를 숨깁니다.

### 수정된 입장
여전히 **측정이 먼저**입니다. 다만 프로파일 결과에 인덱스 누락이 보이면 바로 추가합니다.

'''json
{"position": "Profile first, then fix N+1 queries and add the indexes the profile shows", "confidence": 80, "changed": false, "converged": false}
'''`,
		3: `## 최종 입장

패널은 사실상 합의했습니다: **먼저 프로파일링**, 그다음 N+1 제거와 필요한 인덱스.

- 1주차: ''django-silk'' 설치, 상위 10개 엔드포인트 측정
- 2주차: N+1 제거, ''EXPLAIN ANALYZE''로 인덱스 추가
- 그 후: 여전히 느린 읽기 엔드포인트에만 Redis

'''json
{"position": "Profile first, then fix N+1 queries and add the indexes the profile shows", "confidence": 85, "changed": false, "converged": true}
'''`,
		0: `The panel converged on measuring before optimizing; seat C still wants Redis soon after.

'''json
{"recommendation": "Profile the top endpoints first (django-silk, pg_stat_statements), fix the N+1 queries it finds, then add only the indexes the profile points to; consider Redis for the hot read endpoints after that.",
 "confidence": 82,
 "consensus": ["Measure before optimizing: nobody has seen the per-endpoint p95 breakdown yet", "N+1 queries are the most likely first fix (N+1 쿼리가 가장 유력한 원인)"],
 "disagreements": ["How soon Redis is needed for the two hot read endpoints"],
 "dissent": ["Seat C (gemini:gemini-2.5-pro): Redis for /api/products and /api/prices should follow within a month"],
 "risks": ["Indexes added without profiling slow down writes", "A 60 s cache on pricing can serve stale prices"],
 "next_steps": ["Install django-silk on staging", "Export the top 10 queries from pg_stat_statements", "Set a target: p95 < 400 ms on the top 10 endpoints"]}
'''`,
	},
	"B": {
		1: `I'd start with **database indexes**.

At p95 1.8 s on a Django API, the usual culprit is a sequential scan on a large table. Three approaches:

- **Indexes first.** Run ''EXPLAIN ANALYZE'' on the slowest queries from ''pg_stat_statements''; add composite indexes for the filter and order columns. Cheap, reversible, often 10×.
- **Query optimization.** Fix N+1 patterns. Important, but usually a second-order cost unless the ORM is looping.
- **Redis caching.** Hides the problem and adds invalidation bugs.

'''sql
SELECT query, mean_exec_time FROM pg_stat_statements ORDER BY mean_exec_time DESC LIMIT 10;
'''

Trade-off: indexes slow writes slightly; on a read-heavy API that is the right trade.

'''json
{"position": "Add indexes for the slowest queries first", "confidence": 65, "changed": false, "converged": false}
'''`,
		2: `**Agreements.** A is right that we don't yet know where the time goes; my index-first answer assumed a sequential scan I have not seen.

**Disagreements.** C's caching-first plan still seems premature: a 60 s cache on pricing is a correctness risk.

**Gaps.** Nobody has asked for the p95 breakdown by endpoint.

I'm changing my position: profile first (django-silk + ''pg_stat_statements''), then add exactly the indexes the profile points to.

'''json
{"position": "Profile first, then add the indexes the profile points to", "confidence": 75, "changed": true, "converged": false, "reason": "A showed that adding indexes blind costs writes without evidence; EXPLAIN on the profiled endpoints tells us which indexes matter"}
'''`,
		3: `Final: profile, then targeted indexes and N+1 fixes. I'd put a hard number on success: p95 under 400 ms on the top 10 endpoints before anyone touches Redis.

'''json
{"position": "Profile first, then add the indexes the profile points to", "confidence": 80, "changed": false, "converged": true}
'''`,
	},
	"C": {
		1: `**Redis caching first**: it gives the fastest visible win for read-heavy endpoints (캐시 적중률이 높다면).

1. Cache the product list and pricing endpoints for 60 s with ''django-redis''.
2. Add indexes later, once traffic is under control.
3. Optimize queries as a background task.

A warning about cached HTML fragments: if user input such as <script>alert(1)</script> or <img src=x onerror=alert(1)> ends up in a cached fragment, every visitor gets it. See [the cache notes](javascript:alert(document.cookie)) and the [Django cache framework](https://docs.djangoproject.com/en/5.1/topics/cache/).

'''json
{"position": "Redis caching first for the read-heavy endpoints", "confidence": 60, "changed": false, "converged": false}
'''`,
		3: `I missed the critique round (rate limited), but having read A's and B's critiques I now agree that measurement comes first. I still think the two hot read endpoints (''/api/products'', ''/api/prices'') will need Redis within a month.

'''json
{"position": "Profile first; add Redis for the two hot read endpoints soon after", "confidence": 70, "changed": true, "converged": true, "reason": "A and B showed the slowness may be N+1 queries that a cache would only hide"}
'''`,
	},
}

// script is one turn's recorded numbers: model latency and token usage.
type script struct {
	latency  time.Duration
	in, out  int
	attempts int
}

var turnScript = map[string]map[int]script{
	"A": {1: {38400 * time.Millisecond, 912, 684, 1}, 2: {52100 * time.Millisecond, 3987, 512, 1}, 3: {41300 * time.Millisecond, 4210, 401, 1}, 4: {24600 * time.Millisecond, 2890, 356, 1}},
	"B": {1: {31200 * time.Millisecond, 905, 597, 1}, 2: {44800 * time.Millisecond, 4102, 633, 1}, 3: {36700 * time.Millisecond, 4388, 188, 1}},
	"C": {1: {27900 * time.Millisecond, 909, 455, 1}, 2: {1900 * time.Millisecond, 0, 0, 3}, 3: {33900 * time.Millisecond, 2674, 244, 1}},
}

var roundRe = regexp.MustCompile(`# Round (\d+) of`)

func scriptedModel(seat string) provider.Model {
	return provider.Func(func(ctx context.Context, req provider.Request, onDelta func(string)) (provider.Response, error) {
		round := 0
		if m := roundRe.FindStringSubmatch(req.Prompt); m != nil {
			round, _ = strconv.Atoi(m[1])
		}
		text, ok := scripted[seat][round]
		if !ok {
			return provider.Response{}, &provider.Error{Class: provider.ClassRateLimited, Status: 429, Message: "Resource has been exhausted (e.g. check quota)."}
		}
		k := round
		if k == 0 {
			k = 4
		}
		s := turnScript[seat][k]
		return provider.Response{Text: strings.NewReplacer("'''", "```", "''", "`").Replace(text), Usage: provider.Usage{InputTokens: s.in, OutputTokens: s.out}}, nil
	})
}

// prices in USD per million tokens (input, output), as a config would give them.
var prices = map[string][2]float64{
	"openai:gpt-5":                {1.25, 10},
	"anthropic:claude-sonnet-4-5": {3, 15},
	"gemini:gemini-2.5-pro":       {1.25, 10},
}

func TestGenerateEvents(t *testing.T) {
	if !*generate {
		t.Skip("run with -generate to rewrite " + eventsFile)
	}
	mode, ok := debate.BuiltinMode("standard")
	if !ok {
		t.Fatal("no standard mode")
	}
	seats := []debate.Seat{
		{Seat: "A", Model: "openai:gpt-5"},
		{Seat: "B", Model: "anthropic:claude-sonnet-4-5"},
		{Seat: "C", Model: "gemini:gemini-2.5-pro"},
	}
	var panel []debate.Participant
	for _, s := range seats {
		panel = append(panel, debate.Participant{Seat: s, Model: scriptedModel(s.Seat)})
	}
	var events []debate.Event
	d := debate.Debate{
		ID:    "01jq7w3k9xv2m8ab",
		Spec:  debate.Spec{Problem: goldenProblem, Mode: mode.Name, MaxAttempts: 3, RetryBase: time.Millisecond, Seed: 42},
		Mode:  mode,
		Panel: panel,
		Price: func(s debate.Seat, u provider.Usage) float64 {
			p := prices[s.Model]
			return (float64(u.InputTokens)*p[0] + float64(u.OutputTokens)*p[1]) / 1e6
		},
	}
	if _, err := debate.Run(context.Background(), d, func(e debate.Event) error {
		if e.Kind.Stored() {
			events = append(events, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	events = deterministic(events)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(events); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(eventsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(eventsFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// deterministic replaces the clock's readings with scripted ones (so the log does not
// depend on goroutine scheduling), drops the prompts (long, and no report shows
// them), marks seat A's final turn as truncated, and renumbers the sequence.
func deterministic(events []debate.Event) []debate.Event {
	base := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	seatIdx := map[string]int{"A": 0, "B": 1, "C": 2}
	const gap = 15 * time.Millisecond

	roundStart := map[int]time.Time{1: base.Add(40 * time.Millisecond)}
	roundEnd := map[int]time.Time{}
	maxRound := 0
	for _, e := range events {
		if e.Round > maxRound {
			maxRound = e.Round
		}
	}
	for n := 1; n <= maxRound; n++ {
		if n > 1 {
			roundStart[n] = roundEnd[n-1].Add(gap)
		}
		var end time.Time
		for seat, s := range turnScript {
			if sc, ok := s[n]; ok {
				done := roundStart[n].Add(time.Duration(seatIdx[seat]+1)*2*time.Millisecond + sc.latency)
				if done.After(end) {
					end = done
				}
			}
		}
		roundEnd[n] = end.Add(time.Millisecond)
	}

	at := make([]time.Time, len(events))
	for i := range events {
		e := &events[i]
		start := roundStart[e.Round]
		turnStart := start.Add(time.Duration(seatIdx[e.Seat]+1) * 2 * time.Millisecond)
		sc := turnScript[e.Seat][e.Round]
		switch e.Kind {
		case debate.KindDebateStarted:
			at[i] = base
		case debate.KindRoundStarted:
			at[i] = start
		case debate.KindTurnStarted:
			at[i] = turnStart
		case debate.KindTurnRetrying:
			at[i] = turnStart.Add(time.Duration(e.Retry.Attempt) * 600 * time.Millisecond)
			e.Retry.Wait = time.Duration(e.Retry.Attempt) * 300 * time.Millisecond
		case debate.KindTurnCompleted, debate.KindTurnFailed, debate.KindVerdictCompleted, debate.KindVerdictFailed:
			at[i] = turnStart.Add(sc.latency)
			e.Turn.LatencyMS = sc.latency.Milliseconds()
			e.Turn.Prompt, e.Turn.PromptPieces = "", nil
			if e.Seat == "A" && e.Round == 3 {
				e.Turn.Truncated = true
			}
		case debate.KindRoundCompleted:
			at[i] = roundEnd[e.Round]
		case debate.KindDebateFinished:
			at[i] = roundEnd[maxRound].Add(2 * time.Millisecond)
		default:
			at[i] = roundEnd[e.Round]
		}
	}
	idx := make([]int, len(events))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if !at[idx[a]].Equal(at[idx[b]]) {
			return at[idx[a]].Before(at[idx[b]])
		}
		return idx[a] < idx[b]
	})
	out := make([]debate.Event, len(events))
	for k, i := range idx {
		e := events[i]
		e.At = at[i]
		e.Seq = k + 1
		out[k] = e
	}
	return out
}
