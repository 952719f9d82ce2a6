// Package metrics counts what the debates of this process do, for Prometheus: debates
// running, model calls by provider and outcome, tokens, cost and call latency.
//
// The engine knows nothing of it. The metrics are fed from the debate event stream
// (Observe, which the server's Hub calls for every event it publishes), so every way
// of running debates in this process is counted the same way, and the numbers
// agree with the stored logs: a call is what a turn_completed, turn_failed or
// turn_retrying event says happened.
//
// The collectors live on a registry of their own, not the global default, so that
// importing a library that registers on the default cannot add series to parley's
// /metrics, and tests can build as many as they like.
package metrics

import (
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parleyhq/parley/debate"
)

// StatusOK is the status label of a call that answered. A failed call is labelled
// with its error class (provider.Class: "rate_limit", "timeout", …), a short
// closed set, so the label's cardinality stays bounded.
const StatusOK = "ok"

// Metrics holds parley's collectors. It is safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	runningG prometheus.GaugeFunc
	calls    *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	cost     *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// Panel, when set, returns the panel of a debate this process did not see
	// start (one resumed here): the seat → provider map comes from its
	// debate_started event. Nil labels such a debate's calls "unknown".
	Panel func(debateID string) []debate.Seat

	mu      sync.Mutex
	panels  map[string]map[string]string // debate id → seat → provider
	running map[string]bool              // the debates running here
}

// New builds the collectors on a new registry, with the Go runtime and process
// collectors beside them.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), panels: map[string]map[string]string{}, running: map[string]bool{}}
	// A set, not a counter that goes up and down: a debate may be seen to start
	// more than once (started, then resumed by a job on this replica), and may stop
	// here without a debate_finished (handed to another replica, see Stopped).
	m.runningG = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "parley_debates_running",
		Help: "Debates running in this process.",
	}, func() float64 {
		m.mu.Lock()
		defer m.mu.Unlock()
		return float64(len(m.running))
	})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_calls_total",
		Help: "Model calls (attempts) by provider and status: ok, or the error class of a failed attempt.",
	}, []string{"provider", "status"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_tokens_total",
		Help: "Tokens the providers reported, by provider and direction (input, output).",
	}, []string{"provider", "direction"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_cost_dollars_total",
		Help: "Cost of the calls that answered, in US dollars, by provider.",
	}, []string{"provider"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "parley_call_duration_seconds",
		Help: "Duration of model calls that answered (all attempts of a turn), by provider.",
		// Model calls take from a second to several minutes.
		Buckets: []float64{0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320},
	}, []string{"provider"})
	m.reg.MustRegister(m.runningG, m.calls, m.tokens, m.cost, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the collectors are registered, for tests and for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Observe counts one event of a debate. Events of one debate must come in the
// order the debate emits them, as the Hub publishes them.
func (m *Metrics) Observe(e debate.Event) {
	switch e.Kind {
	case debate.KindDebateStarted:
		m.remember(e.DebateID, e.Started.Panel)
		m.mu.Lock()
		m.running[e.DebateID] = true
		m.mu.Unlock()
	case debate.KindDebateResumed:
		if m.Panel != nil && m.panelOf(e.DebateID) == nil {
			m.remember(e.DebateID, m.Panel(e.DebateID))
		}
		m.mu.Lock()
		m.running[e.DebateID] = true
		m.mu.Unlock()
	case debate.KindDebateFinished:
		m.Stopped(e.DebateID)
	case debate.KindTurnRetrying:
		if e.Retry != nil {
			m.calls.WithLabelValues(m.provider(e), string(e.Retry.Class)).Inc()
		}
	case debate.KindTurnCompleted, debate.KindSummaryCompleted, debate.KindVerdictCompleted:
		m.turn(e, StatusOK)
	case debate.KindTurnFailed, debate.KindSummaryFailed, debate.KindVerdictFailed:
		if e.Turn != nil {
			m.turn(e, string(e.Turn.ErrorClass))
		}
	}
}

// Stopped forgets a debate that stops running here without a debate_finished event:
// one handed to the job queue after it started, or let go to another replica.
func (m *Metrics) Stopped(id string) {
	m.mu.Lock()
	delete(m.panels, id)
	delete(m.running, id)
	m.mu.Unlock()
}

func (m *Metrics) turn(e debate.Event, status string) {
	t := e.Turn
	if t == nil {
		return
	}
	p := m.provider(e)
	if status == "" {
		status = "error"
	}
	m.calls.WithLabelValues(p, status).Inc()
	m.tokens.WithLabelValues(p, "input").Add(float64(t.Usage.InputTokens))
	m.tokens.WithLabelValues(p, "output").Add(float64(t.Usage.OutputTokens))
	if status == StatusOK {
		m.cost.WithLabelValues(p).Add(t.CostUSD)
		m.duration.WithLabelValues(p).Observe(float64(t.LatencyMS) / 1000)
	}
}

func (m *Metrics) remember(id string, panel []debate.Seat) {
	seats := make(map[string]string, len(panel))
	for _, s := range panel {
		seats[s.Seat] = ProviderOf(s.Model)
	}
	m.mu.Lock()
	m.panels[id] = seats
	m.mu.Unlock()
}

func (m *Metrics) panelOf(id string) map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.panels[id]
}

func (m *Metrics) provider(e debate.Event) string {
	if p := m.panelOf(e.DebateID)[e.Seat]; p != "" {
		return p
	}
	return "unknown"
}

// ProviderOf is the provider of a model ref: "openai" for "openai:gpt-5". A ref
// names its provider before the colon; the model after it is left out of the labels
// on purpose (refs are open-ended; providers are few).
func ProviderOf(ref string) string {
	p, _, ok := strings.Cut(ref, ":")
	if !ok || p == "" {
		return "unknown"
	}
	return p
}
