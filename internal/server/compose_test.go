package server_test

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeFile checks compose.yaml where no docker compose is at hand (CI runs
// `docker compose config` and an up/test/down where it is: scripts/compose-test.sh):
// PostgreSQL and two parley replicas built from ./Dockerfile, on the same database,
// each with a healthcheck on /readyz, the token required, and distinct ports.
func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	pg, ok := f.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:") || !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres service: %+v", pg)
	}
	ports := map[string]bool{}
	for _, name := range []string{"parley-1", "parley-2"} {
		s, ok := f.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if s.Build != "." {
			t.Errorf("%s builds %v, want the root's Dockerfile (build: .)", name, s.Build)
		}
		if strings.Join(s.Command, " ") != "serve --addr 0.0.0.0:8080" {
			t.Errorf("%s command %q", name, s.Command)
		}
		if !strings.HasPrefix(s.Environment["PARLEY_DB"], "postgres://") || !strings.Contains(s.Environment["PARLEY_DB"], "@postgres:5432/") {
			t.Errorf("%s PARLEY_DB = %q", name, s.Environment["PARLEY_DB"])
		}
		if !strings.Contains(s.Environment["PARLEY_TOKEN"], ":?") {
			t.Errorf("%s does not require PARLEY_TOKEN: %q", name, s.Environment["PARLEY_TOKEN"])
		}
		if hc := strings.Join(s.Healthcheck.Test, " "); !strings.Contains(hc, "http://127.0.0.1:8080/readyz") {
			t.Errorf("%s healthcheck %q", name, hc)
		}
		if s.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for a healthy postgres", name)
		}
		if len(s.Ports) != 1 || ports[s.Ports[0]] {
			t.Errorf("%s ports %v", name, s.Ports)
		}
		ports[s.Ports[0]] = true
	}
}
