package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/debate"
	"github.com/parleyhq/parley/internal/server"
)

// TestRoutes walks every route once with auth off: a debate is started, listed,
// read, streamed, charted and reported; unknown ids and routes answer 404.
func TestRoutes(t *testing.T) {
	e := newEnv(t, server.Options{
		Models: func(context.Context) (any, error) {
			return map[string]any{"default_panel": []string{"openai:gpt-5"}}, nil
		},
		Modes: func(context.Context) (any, error) {
			return []map[string]any{{"name": "standard", "rounds": 3}}, nil
		},
	})
	id := e.create("Our Django API is slow: where do we start?", nil)
	e.waitFinished(id)

	r := e.do("GET", "/api/debates", "", nil)
	var list []map[string]any
	if r.status != 200 || json.Unmarshal([]byte(r.body), &list) != nil || len(list) != 1 {
		t.Fatalf("GET /api/debates = %d %s", r.status, r.body)
	}
	for _, k := range []string{"id", "status", "problem", "mode", "created_at"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("list row lacks %q: %v", k, list[0])
		}
	}
	if list[0]["id"] != id || list[0]["status"] != "completed" {
		t.Errorf("list row = %v", list[0])
	}
	if r := e.do("GET", "/api/debates?limit=x", "", nil); r.status != 400 {
		t.Errorf("limit=x: %d", r.status)
	}
	if r := e.do("GET", "/api/debates?status=failed", "", nil); r.status != 200 || strings.TrimSpace(r.body) != "[]" {
		t.Errorf("status=failed: %d %s", r.status, r.body)
	}

	r = e.do("GET", "/api/debates/"+id, "", nil)
	var rec debate.Record
	if r.status != 200 || json.Unmarshal([]byte(r.body), &rec) != nil {
		t.Fatalf("GET /api/debates/%s = %d %s", id, r.status, r.body)
	}
	if rec.ID != id || rec.Status != debate.StatusCompleted || rec.Verdict == nil || len(rec.Rounds) != 1 || len(rec.Panel) != 3 {
		t.Errorf("record: %+v", rec)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("record Content-Type %q", ct)
	}

	res := e.openStream(context.Background(), id, "", nil)
	events := readSSE(t, res.Body, nil)
	res.Body.Close()
	if len(events) == 0 || events[len(events)-1].Name != "finished" {
		t.Fatalf("stream of a finished debate did not end with finished: %v", events)
	}
	if !strings.Contains(events[len(events)-1].Data, `"status":"completed"`) {
		t.Errorf("finished data = %s", events[len(events)-1].Data)
	}

	r = e.do("GET", "/api/debates/"+id+"/chart", "", nil)
	if r.status != 200 || !strings.Contains(r.body, "<svg") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("chart = %d %q", r.status, r.body[:min(len(r.body), 200)])
	}
	for format, want := range map[string]string{"": "<!doctype html", "html": "<!doctype html", "md": "# Our Django API", "json": `"id": "` + id} {
		r = e.do("GET", "/api/debates/"+id+"/report?format="+format, "", nil)
		if r.status != 200 || !strings.Contains(strings.ToLower(r.body), strings.ToLower(want)) {
			t.Errorf("report format %q = %d, lacks %q", format, r.status, want)
		}
	}
	if r := e.do("GET", "/api/debates/"+id+"/report?format=pdf", "", nil); r.status != 400 {
		t.Errorf("report format pdf = %d", r.status)
	}

	for _, path := range []string{"/api/debates/nope", "/api/debates/nope/events", "/api/debates/nope/chart", "/api/debates/nope/report"} {
		r := e.do("GET", path, "", nil)
		if r.status != 404 || !strings.Contains(r.body, `no debate with id \"nope\"`) {
			t.Errorf("GET %s = %d %s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/nothing", "", nil); r.status != 404 {
		t.Errorf("unknown route = %d", r.status)
	}
	if r := e.do("DELETE", "/api/debates/"+id, "", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE = %d", r.status)
	}
	if r := e.do("GET", "/api/models", "", nil); r.status != 200 || !strings.Contains(r.body, "openai:gpt-5") {
		t.Errorf("models = %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/modes", "", nil); r.status != 200 || !strings.Contains(r.body, "standard") {
		t.Errorf("modes = %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Errorf("healthz = %d", r.status)
	}
}

// TestModelsAndModesOptional: a server given no lister says so.
func TestModelsAndModesOptional(t *testing.T) {
	e := newEnv(t, server.Options{})
	for _, p := range []string{"/api/models", "/api/modes"} {
		if r := e.do("GET", p, "", nil); r.status != 404 {
			t.Errorf("%s = %d", p, r.status)
		}
	}
}

// TestBadBodies: every malformed request is refused with a message that says what
// is wrong, and nothing is started.
func TestBadBodies(t *testing.T) {
	e := newEnv(t, server.Options{})
	cases := []struct {
		name, body, ctype string
		status            int
		want              string
	}{
		{"no content type", `{"problem":"x"}`, "-", 415, "Content-Type: application/json"},
		{"text/plain", `{"problem":"x"}`, "text/plain", 415, `must be JSON, sent with Content-Type: application/json (got "text/plain")`},
		{"form", `problem=x`, "application/x-www-form-urlencoded", 415, "must be JSON"},
		{"json with charset", `{"problem": ""}`, "application/json; charset=utf-8", 400, `"problem" is required`},
		{"empty", ``, "application/json", 400, "body is empty"},
		{"bad JSON", `{"problem": "x",}`, "application/json", 400, "not valid JSON"},
		{"truncated", `{"problem": "x"`, "application/json", 400, "not valid JSON"},
		{"missing problem", `{"models": ["openai:gpt-5"]}`, "application/json", 400, `"problem" is required`},
		{"blank problem", `{"problem": "   \n"}`, "application/json", 400, `"problem" is required`},
		{"unknown field", `{"problem": "x", "modles": []}`, "application/json", 400, `unknown field "modles"`},
		{"models not array", `{"problem": "x", "models": "openai:gpt-5"}`, "application/json", 400, `"models" must be an array of strings`},
		{"rounds a string", `{"problem": "x", "rounds": "3"}`, "application/json", 400, `"rounds" must be a whole number`},
		{"negative rounds", `{"problem": "x", "rounds": -1}`, "application/json", 400, `"rounds" must be between`},
		{"too many rounds", `{"problem": "x", "rounds": 500}`, "application/json", 400, `"rounds" must be between`},
		{"empty model", `{"problem": "x", "models": ["openai:gpt-5", " "]}`, "application/json", 400, `"models"[1] is empty`},
		{"mode path", `{"problem": "x", "mode": "../../etc/passwd"}`, "application/json", 400, "not a mode name"},
		{"two values", `{"problem": "x"} {"problem": "y"}`, "application/json", 400, "more than one JSON value"},
		{"too large", `{"problem": "` + strings.Repeat("a", server.MaxBody) + `"}`, "application/json", 400, "too large"},
		{"problem too long", `{"problem": "` + strings.Repeat("a", server.MaxProblem+1) + `"}`, "application/json", 400, `"problem" is too long`},
		{"panel and models", `{"problem": "x", "panel": "pair", "models": ["openai:a", "openai:b"]}`, "application/json", 400, `give "models" or "panel", not both`},
		{"more stances than models", `{"problem": "x", "models": ["openai:a", "openai:b"], "stances": ["for", "against", "x"]}`, "application/json", 400, `"stances" has 3 entries for 2 models`},
		{"stance too long", `{"problem": "x", "stances": ["` + strings.Repeat("a", server.MaxStance+1) + `"]}`, "application/json", 400, `"stances"[0] must be UTF-8 text of at most`},
		{"unknown mode (from the starter)", `{"problem": "x", "mode": "nope"}`, "application/json", 400, `unknown mode "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": c.ctype}
			if c.ctype == "-" {
				h["Content-Type"] = ""
			}
			r := e.do("POST", "/api/debates", c.body, h)
			var body struct{ Error string }
			json.Unmarshal([]byte(r.body), &body)
			if r.status != c.status || !strings.Contains(body.Error, c.want) {
				t.Errorf("= %d %q, want %d with %q", r.status, body.Error, c.status, c.want)
			}
		})
	}
	if r := e.do("GET", "/api/debates", "", nil); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("bad requests started debates: %s", r.body)
	}
}

// TestStartErrors: the starter's verdict reaches the client with the right status.
func TestStartErrors(t *testing.T) {
	var next error
	e := newEnv(t, server.Options{Start: func(context.Context, server.Request) (string, error) { return "", next }})
	for _, c := range []struct {
		err    error
		status int
		want   string
	}{
		{server.BadRequest(errors.New(`unknown provider "foo" in "foo:bar"`)), 400, `unknown provider \"foo\"`},
		{server.ErrBusy, 503, "too many debates"},
		{errors.New("disk on fire"), 500, "disk on fire"},
	} {
		next = c.err
		r := e.do("POST", "/api/debates", `{"problem": "x"}`, nil)
		if r.status != c.status || !strings.Contains(r.body, c.want) {
			t.Errorf("%v: = %d %s", c.err, r.status, r.body)
		}
	}
}

// TestAuth: with a token, every API route needs it as a bearer token; the UI's
// files and the health check do not. Without one, only loopback hosts are served.
func TestAuth(t *testing.T) {
	const token = "correct-horse-battery-staple-42"
	e := newEnv(t, server.Options{Token: token})
	good := map[string]string{"Authorization": "Bearer " + token}
	id := e.create("Authorised?", good)
	e.waitFinished(id)

	routes := []struct{ method, path, body string }{
		{"GET", "/api/debates", ""},
		{"POST", "/api/debates", `{"problem": "x"}`},
		{"GET", "/api/debates/" + id, ""},
		{"GET", "/api/debates/" + id + "/events", ""},
		{"GET", "/api/debates/" + id + "/chart", ""},
		{"GET", "/api/debates/" + id + "/report", ""},
		{"GET", "/api/models", ""},
		{"GET", "/api/modes", ""},
		{"GET", "/api/debates/nope", ""},
	}
	for _, rt := range routes {
		for name, h := range map[string]map[string]string{
			"none":        nil,
			"wrong":       {"Authorization": "Bearer " + token + "x"},
			"prefix":      {"Authorization": "Bearer " + token[:len(token)-1]},
			"not bearer":  {"Authorization": "Basic " + token},
			"bare token":  {"Authorization": token},
			"query token": nil,
		} {
			path := rt.path
			if name == "query token" {
				path += "?token=" + token
			}
			r := e.do(rt.method, path, rt.body, h)
			if r.status != 401 || r.header.Get("WWW-Authenticate") == "" || !strings.Contains(r.body, "Authorization: Bearer") {
				t.Errorf("%s %s with %s: %d %s", rt.method, rt.path, name, r.status, r.body)
			}
		}
	}
	// The right token opens them (what each then answers is TestRoutes' business).
	if r := e.do("GET", "/api/debates/"+id, "", good); r.status != 200 {
		t.Errorf("with the token: %d", r.status)
	}
	if r := e.do("GET", "/api/debates/"+id, "", map[string]string{"Authorization": "bearer  " + token + " "}); r.status != 200 {
		t.Errorf("with a lower-case scheme and spaces: %d", r.status)
	}
	// The UI shell holds no data: it loads without the token, then asks for it.
	for _, p := range []string{"/", "/assets/app.js", "/assets/app.css", "/healthz"} {
		if r := e.do("GET", p, "", nil); r.status != 200 {
			t.Errorf("GET %s without the token = %d", p, r.status)
		}
	}
	// With a token, any Host may be used (behind a proxy, say).
	if r := e.do("GET", "/api/debates", "", map[string]string{"Authorization": "Bearer " + token, "Host": "parley.example.com"}); r.status != 200 {
		t.Errorf("with the token and another Host: %d", r.status)
	}
}

// TestNoTokenLoopbackOnly: without a token a request must name a loopback host, so
// that a web page cannot reach a local server through DNS rebinding.
func TestNoTokenLoopbackOnly(t *testing.T) {
	e := newEnv(t, server.Options{})
	for host, want := range map[string]int{
		"attacker.example:8080": http.StatusMisdirectedRequest,
		"192.168.1.7:8080":      http.StatusMisdirectedRequest,
		"localhost:8080":        200,
		"127.0.0.1:8080":        200,
		"[::1]:8080":            200,
		"LOCALHOST.":            200,
	} {
		for _, p := range []string{"/api/debates", "/"} {
			if r := e.do("GET", p, "", map[string]string{"Host": host}); r.status != want {
				t.Errorf("GET %s with Host %s = %d, want %d", p, host, r.status, want)
			}
		}
	}
}

// TestUIIsStatic: the page loads its own script and style only, under a CSP that
// forbids inline script, and the script never parses strings as markup.
func TestUIIsStatic(t *testing.T) {
	e := newEnv(t, server.Options{})
	page := e.do("GET", "/", "", nil)
	if page.status != 200 || !strings.Contains(page.body, `<script src="/assets/app.js"`) {
		t.Fatalf("GET / = %d", page.status)
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if strings.Contains(page.body, "http://") || strings.Contains(page.body, "https://") {
		t.Errorf("the page names another site")
	}
	js := e.do("GET", "/assets/app.js", "", nil)
	if !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") {
		t.Errorf("app.js Content-Type %q", js.header.Get("Content-Type"))
	}
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js.body, banned) {
			t.Errorf("app.js uses %s", banned)
		}
	}
	if r := e.do("GET", "/assets/../server.go", "", nil); r.status == 200 {
		t.Errorf("served a file outside the UI")
	}
	if r := e.do("GET", "/assets/other.js", "", nil); r.status != 404 {
		t.Errorf("unknown asset = %d", r.status)
	}
}

// TestServeShutdown: Serve refuses new debates once its context ends, runs drain,
// ends the open event streams and returns.
func TestServeShutdown(t *testing.T) {
	e := newEnv(t, server.Options{})
	e.delay = 10 * time.Second // the debate is still running at shutdown
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- e.srv.Serve(ctx, ln, func(context.Context) {
			e.cancel() // as the command does: interrupt the debates, and wait
			e.wg.Wait()
			close(drained)
		})
	}()
	base := "http://" + ln.Addr().String()
	res, err := http.Post(base+"/api/debates", "application/json", strings.NewReader(`{"problem": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ ID string }
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()

	stream, err := http.Get(base + "/api/debates/" + out.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	got := make(chan []sseEvent, 1)
	watching := make(chan struct{}) // the first event arrived: the stream is open
	go func() {
		var once sync.Once
		got <- readSSE(t, stream.Body, func(sseEvent) bool { once.Do(func() { close(watching) }); return false })
	}()
	select {
	case <-watching:
	case <-time.After(10 * time.Second):
		t.Fatal("no event on the stream")
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
	<-drained
	events := <-got
	if n := len(events); n == 0 || events[n-1].Name != "finished" || !strings.Contains(events[n-1].Data, `"interrupted"`) {
		t.Errorf("the stream of an interrupted debate ended with %v", events)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still answering after Serve returned")
	}
	http.DefaultClient.CloseIdleConnections()
}

// A named panel and per-seat stances reach the starter as the client sent them:
// the HTTP body is the one session.Request every front end shares.
func TestPanelAndStancesReachTheStarter(t *testing.T) {
	var got server.Request
	e := newEnv(t, server.Options{Start: func(_ context.Context, req server.Request) (string, error) {
		got = req
		return "", server.BadRequest(errors.New("stop here"))
	}})
	r := e.do("POST", "/api/debates", `{"problem": "x", "panel": " pair ", "stances": ["for", "against"]}`, map[string]string{"Content-Type": "application/json"})
	if r.status != 400 || !strings.Contains(r.body, "stop here") {
		t.Fatalf("= %d %s", r.status, r.body)
	}
	if got.Panel != "pair" || strings.Join(got.Stances, "|") != "for|against" {
		t.Errorf("the starter got %+v", got)
	}
}
