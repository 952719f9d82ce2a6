package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestHealthcheck(t *testing.T) {
	h := newHarness(t)

	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ready"}`))
	}))
	defer ready.Close()
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"not ready","reason":"ping: connection refused\nby postgres"}`))
	}))
	defer notReady.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/readyz"
	closed.Close()
	// A server that accepts and never answers: --timeout must end the probe.
	hang := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(hang)

	for _, tc := range []struct {
		name, url string
		extra     []string
		code      int
		want      string // in the one line the probe prints
	}{
		{"ready", ready.URL + "/readyz", nil, 0, "200 OK"},
		{"wrong path", ready.URL + "/nope", nil, 1, "404 Not Found"},
		{"not ready", notReady.URL + "/readyz", nil, 1, "503 Service Unavailable: ping: connection refused by postgres"},
		{"closed port", closedURL, nil, 1, "connection refused"},
		{"hung", hung.URL + "/readyz", []string{"--timeout", "200ms"}, 1, "deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := h.run(append([]string{"healthcheck", "--url", tc.url}, tc.extra...)...)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", res.code, tc.code, res.stdout, res.stderr)
			}
			msg := res.stdout
			if tc.code != 0 {
				msg = res.stderr
				if res.stdout != "" {
					t.Errorf("a failed probe wrote to stdout: %q", res.stdout)
				}
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") {
				t.Errorf("want one line, got %q", msg)
			}
			if !strings.Contains(msg, tc.url) || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not name %s and %q", msg, tc.url, tc.want)
			}
			if strings.Contains(msg, "Try:") {
				t.Errorf("a failed probe is not a usage error: %q", msg)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}

	if res := h.run("healthcheck", "--timeout", "0s"); res.code != 2 {
		t.Errorf("--timeout 0s: exit %d, want 2\n%s", res.code, res.stderr)
	}
	if res := h.run("healthcheck", "extra"); res.code != 2 {
		t.Errorf("an argument: exit %d, want 2\n%s", res.code, res.stderr)
	}
}

// The image is distroless: a healthcheck calling wget or curl would fail on it
// forever, and the replicas would never be healthy. Both places that define one
// must call the binary itself.
func TestHealthchecksCallParley(t *testing.T) {
	want := []string{"/usr/local/bin/parley", "healthcheck"}

	data, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Image       string `yaml:"image"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	parleys := 0
	for name, s := range f.Services {
		if !strings.HasPrefix(s.Image, "parley") {
			continue
		}
		parleys++
		hc := s.Healthcheck.Test
		if len(hc) < 3 || hc[0] != "CMD" || hc[1] != want[0] || hc[2] != want[1] {
			t.Errorf("compose.yaml service %s: healthcheck %q, want [CMD %s %s ...]", name, hc, want[0], want[1])
		}
	}
	if parleys == 0 {
		t.Error("compose.yaml has no service with a parley image")
	}

	data, err = os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines so an instruction is one line.
	df := strings.ReplaceAll(string(data), "\\\n", " ")
	m := regexp.MustCompile(`(?m)^HEALTHCHECK\b.*\bCMD\s+(\[.*\])\s*$`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("the Dockerfile has no HEALTHCHECK ... CMD [...] instruction")
	}
	var cmd []string
	if err := json.Unmarshal([]byte(m[1]), &cmd); err != nil {
		t.Fatalf("HEALTHCHECK CMD %s: %v (use the exec form: there is no shell in the image)", m[1], err)
	}
	if len(cmd) < 2 || cmd[0] != want[0] || cmd[1] != want[1] {
		t.Errorf("Dockerfile HEALTHCHECK CMD %q, want %q ...", cmd, want)
	}
}
