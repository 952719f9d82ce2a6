package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/syncbuf"
)

// TestJSONRequestLogsHideKeys: the request log is JSON, one object a line, and no
// key shows in it: not the API token sent in a header, not a provider key the
// logger was told of, not a key-like string in a path or an error.
func TestJSONRequestLogsHideKeys(t *testing.T) {
	const token = "api-token-0123456789abcdef"
	const providerKey = "provider-key-which-is-secret"
	var buf syncbuf.Buffer
	log, err := server.NewLogger(&buf, server.LogJSON, []string{token, providerKey})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, server.Options{Token: token, Logger: log})
	auth := map[string]string{"Authorization": "Bearer " + token, "X-Api-Key": providerKey}
	e.do("GET", "/api/debates", "", auth)
	e.do("GET", "/api/debates/sk-proj-abcdefghijklmnop", "", auth)
	e.do("GET", "/api/debates", "", map[string]string{"Authorization": "Bearer wrong-" + token})
	log.Error("calling a model", "error", errors.New("401 from upstream: key "+providerKey+" rejected; Authorization: Bearer sk-ant-0123456789"))
	log.Info("config says " + providerKey)

	out := buf.String()
	for _, secret := range []string{token, providerKey, "sk-proj-abcdefghijklmnop", "sk-ant-0123456789"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows %q:\n%s", secret, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var requests []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if m["msg"] == "request" {
			requests = append(requests, m)
		}
	}
	if len(requests) != 3 {
		t.Fatalf("%d request lines, want 3:\n%s", len(requests), out)
	}
	if r := requests[0]; r["method"] != "GET" || r["path"] != "/api/debates" || r["status"] != float64(http.StatusOK) {
		t.Errorf("request line %v", r)
	}
	if r := requests[1]; r["path"] != "/api/debates/"+server.Redacted || r["status"] != float64(http.StatusNotFound) {
		t.Errorf("request line %v", r)
	}
	if r := requests[2]; r["status"] != float64(http.StatusUnauthorized) {
		t.Errorf("request line %v", r)
	}
	if !strings.Contains(out, `key [REDACTED] rejected; Authorization: [REDACTED]`) || !strings.Contains(out, `"msg":"config says [REDACTED]"`) {
		t.Errorf("errors and messages are not scrubbed as expected:\n%s", out)
	}
}

func TestLogFormat(t *testing.T) {
	var buf bytes.Buffer
	for asked, want := range map[string]string{"json": "json", "TEXT": "text", "": "json", "auto": "json"} {
		if got, err := server.LogFormat(asked, &buf); err != nil || got != want {
			t.Errorf("LogFormat(%q) on a buffer = %q, %v; want %q", asked, got, err, want)
		}
	}
	if _, err := server.LogFormat("yaml", &buf); err == nil || !strings.Contains(err.Error(), "use json, text or auto") {
		t.Errorf("LogFormat(yaml) error = %v", err)
	}
}
