package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/server"
)

// TestAPIVersion: /api/version answers what the server was given, and 404 without it.
func TestAPIVersion(t *testing.T) {
	e := newEnv(t, server.Options{Version: func(context.Context) (any, error) {
		return map[string]string{"version": "v1.2.3", "commit": "abc"}, nil
	}})
	if r := e.do("GET", "/api/version", "", nil); r.status != 200 || !strings.Contains(r.body, `"version": "v1.2.3"`) {
		t.Errorf("version = %d %s", r.status, r.body)
	}
	if r := newEnv(t, server.Options{}).do("GET", "/api/version", "", nil); r.status != 404 {
		t.Errorf("no version = %d", r.status)
	}
}
