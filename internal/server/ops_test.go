package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/metrics"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/store/sqlite"
)

func readyOf(t *testing.T, r resp) (status, reason string) {
	t.Helper()
	var out struct{ Status, Reason string }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("/readyz body %q: %v", r.body, err)
	}
	return out.Status, out.Reason
}

func TestReadyz(t *testing.T) {
	e := newEnv(t, server.Options{})
	r := e.do("GET", "/readyz", "", nil)
	if st, _ := readyOf(t, r); r.status != http.StatusOK || st != "ready" {
		t.Fatalf("/readyz of a good store = %d %s", r.status, r.body)
	}
	// Liveness does not depend on the store.
	e.store.Close()
	r = e.do("GET", "/readyz", "", nil)
	st, reason := readyOf(t, r)
	if r.status != http.StatusServiceUnavailable || st != "not ready" || !strings.Contains(reason, "closed") {
		t.Fatalf("/readyz of a closed store = %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/healthz", "", nil); r.status != http.StatusOK {
		t.Fatalf("/healthz with a closed store = %d", r.status)
	}
}

// TestReadyzOldSchema: a database whose last migration is not applied (a newer
// binary pointed at an older database it has not migrated) is not ready.
func TestReadyzOldSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Store: st, Start: func(context.Context, server.Request) (string, error) { return "", nil }})
	defer srv.Close()
	r := doOn(t, srv, "GET", "/readyz", nil)
	if r.Code != http.StatusServiceUnavailable || !strings.Contains(r.Body.String(), "migration is pending") {
		t.Fatalf("/readyz of an old schema = %d %s", r.Code, r.Body.String())
	}
	// A draining server is not ready either: the balancer should stop sending to it.
	srv.Close()
}

func TestReadyzDraining(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.srv.Close()
	r := e.do("GET", "/readyz", "", nil)
	if _, reason := readyOf(t, r); r.status != http.StatusServiceUnavailable || !strings.Contains(reason, "shutting down") {
		t.Fatalf("/readyz while draining = %d %s", r.status, r.body)
	}
}

// TestMetricsScrape runs debates through the API with the metrics fed by the hub and
// scrapes /metrics over HTTP, with the token.
func TestMetricsScrape(t *testing.T) {
	m := metrics.New()
	const token = "metrics-token-0123456789"
	e := newEnvHub(t, server.Options{Metrics: m.Handler(), Token: token}, server.NewHub(m.Observe))
	auth := map[string]string{"Authorization": "Bearer " + token}
	if r := e.do("GET", "/metrics", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token = %d", r.status)
	}
	for range 2 {
		e.waitFinished(e.create("How to speed up Django?", auth))
	}
	r := e.do("GET", "/metrics", "", auth)
	if r.status != http.StatusOK {
		t.Fatalf("/metrics = %d %s", r.status, r.body)
	}
	// quick mode: one round of three seats and a verdict by the chair, per debate.
	for _, want := range []string{
		`parley_calls_total{provider="fake",status="ok"} 8`,
		`parley_tokens_total{direction="input",provider="fake"} 800`,
		`parley_tokens_total{direction="output",provider="fake"} 400`,
		`parley_call_duration_seconds_count{provider="fake"} 8`,
		"parley_debates_running 0",
		"go_goroutines ",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(r.body, "parley_"))
		}
	}
	if n := testutil.CollectAndCount(m.Registry(), "parley_calls_total"); n != 1 {
		t.Errorf("%d series of parley_calls_total, want 1", n)
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestCancel(t *testing.T) {
	var e *env
	e = newEnv(t, server.Options{Cancel: func(ctx context.Context, id string) error { return e.cancelDebate(ctx, id) }})
	e.delay = 2 * time.Second
	id := e.create("A slow one", nil)
	r := e.do("POST", "/api/debates/"+id+"/cancel", "", nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	start := time.Now()
	if sum := e.waitFinished(id); sum.Status != debate.StatusInterrupted {
		t.Fatalf("status after cancel = %s", sum.Status)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the debate took %v to stop", d)
	}
	if r := e.do("POST", "/api/debates/"+id+"/cancel", "", nil); r.status != http.StatusConflict || !strings.Contains(r.body, "not running") {
		t.Fatalf("cancel of a finished debate = %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/debates/nope/cancel", "", nil); r.status != http.StatusNotFound {
		t.Fatalf("cancel of no debate = %d %s", r.status, r.body)
	}
}

func TestListSearch(t *testing.T) {
	e := newEnv(t, server.Options{})
	a := e.create("Should we adopt Kubernetes?", nil)
	b := e.create("Tabs or spaces?", nil)
	e.waitFinished(a)
	e.waitFinished(b)
	list := func(q string) []string {
		r := e.do("GET", "/api/debates?q="+url.QueryEscape(q), "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("list q=%q: %d %s", q, r.status, r.body)
		}
		var rows []struct{ ID string }
		json.Unmarshal([]byte(r.body), &rows)
		var ids []string
		for _, row := range rows {
			ids = append(ids, row.ID)
		}
		return ids
	}
	if got := list("kubernetes"); len(got) != 1 || got[0] != a {
		t.Errorf("q=kubernetes: %v, want [%s]", got, a)
	}
	// Every verdict of the fake chair says "N+1 queries".
	if got := list("n+1 QUERIES"); len(got) != 2 {
		t.Errorf("q matching the verdicts: %v, want both", got)
	}
	if got := list(""); len(got) != 2 {
		t.Errorf("no q: %v", got)
	}
	if got := list("zzz"); len(got) != 0 {
		t.Errorf("q=zzz: %v", got)
	}
	if r := e.do("GET", "/api/debates?q="+strings.Repeat("x", 201), "", nil); r.status != http.StatusBadRequest {
		t.Errorf("a long q = %d", r.status)
	}
}

// doOn serves one request on srv directly, from a loopback host.
func doOn(t *testing.T, srv http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://127.0.0.1"+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}
