package fakellm

import (
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DemoQuestion is the problem the demo script's answers are written for.
const DemoQuestion = "Our Django API is slow: should we start with Redis caching, database indexes or query optimization?"

//go:embed demo/*.md
var demoFiles embed.FS

// persona is one voice of the demo panel: its answers to rounds 1 to 3 (prose in
// demo/NAME-N.md, reply block here so that it is always valid JSON).
type persona struct {
	name, voice string
	turns       [3]turnBlock
}

var personas = []persona{
	{name: "profiler", voice: "the profiler", turns: [3]turnBlock{
		{Position: "Profile first and fix N+1 queries with select_related/prefetch_related; choose indexes from the slow SQL that remains", Confidence: 75},
		{Position: "Measure per endpoint, fix N+1 queries first, add the indexes the slow SQL needs in the same pass, Redis last", Confidence: 80},
		{Position: "Measure, fix N+1 queries, add the indexes the remaining slow SQL needs, then cache only what still misses the target", Confidence: 85, Converged: true},
	}},
	{name: "dba", voice: "the database engineer", turns: [3]turnBlock{
		{Position: "Start with database indexes found through pg_stat_statements and EXPLAIN ANALYZE", Confidence: 70},
		{Position: "Ship the missing indexes in the first week alongside N+1 fixes, both driven by pg_stat_statements", Confidence: 70},
		{Position: "Fix queries and indexes together (indexes for hot sequential scans on day one); Redis last", Confidence: 75, Converged: true},
	}},
	{name: "cache", voice: "the caching advocate", turns: [3]turnBlock{
		{Position: "Start with Redis caching of the hottest read endpoints for immediate relief", Confidence: 60},
		{Position: "Start with query optimization (profile, fix N+1, add indexes); add Redis later for hot read-mostly endpoints", Confidence: 75, Changed: true,
			Reason: "the others showed that caching in front of N+1 queries hides the cause, and invalidation makes every later fix harder"},
		{Position: "Query optimization first, indexes alongside, Redis last and only where still needed", Confidence: 80, Converged: true},
	}},
}

// Demo is a script for any model (use it under AnyModel) that plays a realistic
// three-voice debate on DemoQuestion. The phase comes from the prompt: "VERDICT"
// asks for the chair's verdict, otherwise the highest "Round N" mentioned picks the
// round (3 and above: the final round). Each model name keeps one voice, chosen
// from a hash of the name; a name whose voice is already taken by another model
// gets the least used one, so that up to three models always get distinct voices.
// Replies stream in small chunks; their Latency is left to Options.DefaultLatency.
func Demo() Script {
	v := &voices{byModel: map[string]int{}}
	return Script{Func: func(c Call) Reply {
		return Reply{
			Text:       demoAnswer(v.of(c.Model), c.Prompt),
			ChunkSize:  10,
			ChunkDelay: 12 * time.Millisecond,
		}
	}}
}

// voices remembers which persona each model speaks with.
type voices struct {
	mu      sync.Mutex
	byModel map[string]int
	uses    [3]int
}

func (v *voices) of(model string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p, ok := v.byModel[model]; ok {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(model))
	want := int(h.Sum32() % uint32(len(personas)))
	p := want
	for i := range len(personas) {
		if q := (want + i) % len(personas); v.uses[q] < v.uses[p] {
			p = q
		}
	}
	v.byModel[model] = p
	v.uses[p]++
	return p
}

var roundRe = regexp.MustCompile(`\bRound (\d+)\b`)

// demoRound is the round a prompt asks for, 1 to 3, or 0 for the verdict. Prompts
// quote earlier rounds, so the highest round mentioned is the current one.
func demoRound(prompt string) int {
	if strings.Contains(prompt, "VERDICT") {
		return 0
	}
	round := 1
	for _, m := range roundRe.FindAllStringSubmatch(prompt, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > round {
			round = n
		}
	}
	return min(round, 3)
}

func demoAnswer(p int, prompt string) string {
	round := demoRound(prompt)
	if round == 0 {
		return demoVerdict(p, prompt)
	}
	prose := demoFile(fmt.Sprintf("%s-%d.md", personas[p].name, round))
	return withBlock(prose, personas[p].turns[round-1])
}

func demoVerdict(p int, prompt string) string {
	prose := strings.ReplaceAll(demoFile("verdict.md"), "{{VOICE}}", personas[p].voice)
	v := verdictBlock{
		Recommendation: "Start with measurement and query optimization (fix N+1 queries, add the indexes the slow SQL needs); add Redis caching later, only for hot read-mostly endpoints that still miss the target",
		Confidence:     82,
		Consensus: []string{
			"Measure first: p95 per endpoint, queries per request and database time",
			"Fix N+1 query patterns with select_related/prefetch_related before anything else",
			"Redis caching is a later step for hot, read-mostly endpoints, not the first fix",
		},
		Disagreements: []string{
			"Whether obvious missing indexes ship on day one, in parallel with query work, or after the profile-driven query pass",
		},
		Dissent: []string{
			seatOf(prompt, 1) + ": indexes for sequential scans on large, hot tables should ship on day one, not after the query refactoring",
		},
		Risks: []string{
			"The time may be outside the database (serialization, external calls), which none of the three remedies addresses",
			"Indexes added without measurement slow writes and bloat tables",
			"Caching added later without an invalidation plan serves stale data",
		},
		NextSteps: []string{
			"Enable pg_stat_statements and django-silk (or APM) in staging; record p95 and query counts for the ten busiest endpoints",
			"Set a target, e.g. p95 under 200 ms",
			"Fix N+1 patterns and add assertNumQueries tests for each fixed endpoint",
			"Add the indexes EXPLAIN ANALYZE calls for, with AddIndexConcurrently",
			"Re-measure; cache only the endpoints that still miss the target",
		},
	}
	return withBlock(prose, v)
}

var seatRe = regexp.MustCompile(`\b[Ss]eat ([A-Z])\b`)

// seatOf names the seat whose answers speak with persona p, by finding that voice's
// signature in the chair's prompt and the last "Seat X" label before it. Without
// one, the persona's position in the list stands in.
func seatOf(prompt string, p int) string {
	sig := "voice: " + personas[p].voice + ")"
	if i := strings.Index(prompt, sig); i >= 0 {
		if ms := seatRe.FindAllStringSubmatch(prompt[:i], -1); len(ms) > 0 {
			return "Seat " + ms[len(ms)-1][1]
		}
	}
	return "Seat " + string(rune('A'+p))
}

func demoFile(name string) string {
	b, err := demoFiles.ReadFile("demo/" + name)
	if err != nil {
		panic("fakellm: missing embedded demo file " + name) // a build mistake, caught by the tests
	}
	return string(b)
}

func withBlock(prose string, block any) string {
	js, _ := json.Marshal(block)
	return strings.TrimRight(prose, "\n") + "\n\n```json\n" + string(js) + "\n```\n"
}
