// Package browsertest starts headless Chromium for the project's browser tests (the
// HTML report, the web UI), the one way this machine allows: Debian's chromium with
// every background connection off, a fresh profile, no sandbox (tests run as root).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Find returns the Chromium binary to drive, or skips the test saying how to get one.
// PARLEY_CHROMIUM names a binary explicitly.
func Find(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PARLEY_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PARLEY_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: install it with scripts/install-chromium.sh (or set PARLEY_CHROMIUM) to run the browser test")
	return ""
}

// Tab starts Chromium with a window of width×height and returns a tab's context,
// bounded by timeout. Everything is torn down when the test ends.
func Tab(t testing.TB, bin string, timeout time.Duration, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	// A fresh profile each run. Chromium's helper processes may still write to it for
	// a moment after the browser exits, so its removal is retried.
	profile, err := os.MkdirTemp("", "parley-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these, Chromium's own connections are refused by this machine's
		// closed network, many at a time.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	}, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
	})
	return tab
}
