package cli_test

import (
	"strings"
	"testing"
	"time"
)

// `parley --server URL` runs, lists and shows debates on a real `parley serve` on
// loopback; a wrong token and an unreachable server are clear usage errors (2).
func TestRemoteCLI(t *testing.T) {
	h := newHarness(t)
	h.env["PARLEY_TOKEN"] = serveMCPToken
	for _, m := range []string{"gpt-5", "o4-mini"} {
		h.srv.Script(m, answers(m, 10*time.Millisecond))
	}
	s := h.serve()
	h.env["PARLEY_DB"] = h.dir + "/elsewhere.db" // the local database stays empty

	r := h.run("--server", s.base, "-m", "openai:gpt-5,openai:o4-mini", "--rounds", "1", "--format", "json", "Cache or index?")
	if r.code != 0 {
		t.Fatalf("remote run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rec := decodeResult(t, r.stdout)
	if rec.Verdict == nil || !strings.Contains(r.stderr, "answered") {
		t.Fatalf("remote run: verdict %+v, progress:\n%s", rec.Verdict, r.stderr)
	}
	h.env["PARLEY_SERVER"] = s.base
	if l := h.run("list", "--format", "json"); l.code != 0 || !strings.Contains(l.stdout, rec.ID) {
		t.Errorf("remote list: %d %s %s", l.code, l.stdout, l.stderr)
	}
	if sh := h.run("show", rec.ID); sh.code != 0 || !strings.Contains(sh.stdout, "django-silk") {
		t.Errorf("remote show: %d %s %s", sh.code, sh.stdout, sh.stderr)
	}
	if sh := h.run("show", "nosuchid"); sh.code != 2 || !strings.Contains(sh.stderr, "no debate nosuchid") {
		t.Errorf("remote show unknown: %d %s", sh.code, sh.stderr)
	}
	delete(h.env, "PARLEY_SERVER")

	h.env["PARLEY_TOKEN"] = "wrong-token-wrong-token-00"
	if w := h.run("--server", s.base, "list"); w.code != 2 || !strings.Contains(w.stderr, "refused the token") || strings.Contains(w.stderr, "wrong-token") {
		t.Errorf("wrong token: %d %s", w.code, w.stderr)
	}
	if u := h.run("--server", "http://127.0.0.1:1", "list"); u.code != 2 || !strings.Contains(u.stderr, "cannot reach the parley server at http://127.0.0.1:1") {
		t.Errorf("unreachable: %d %s", u.code, u.stderr)
	}
}
