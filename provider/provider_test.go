package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"1"}}, time.Second},
		{http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}}, 30 * time.Second},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{}, 0},
	} {
		if got := RetryAfter(tc.h, now); got != tc.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err       error
		class     Class
		retryable bool
	}{
		{context.Canceled, ClassCanceled, false},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), ClassTimeout, true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, ClassConnection, true},
		{&Error{Class: ClassAuth}, ClassAuth, false},
		{errors.New("something odd"), ClassUnknown, false},
	} {
		got := Classify(tc.err)
		if got.Class != tc.class || got.Retryable() != tc.retryable {
			t.Errorf("Classify(%v) = %s (retryable %v), want %s (%v)", tc.err, got.Class, got.Retryable(), tc.class, tc.retryable)
		}
	}
	for status, want := range map[int]Class{429: ClassRateLimited, 500: ClassServer, 529: ClassServer, 401: ClassAuth, 403: ClassAuth, 400: ClassBadRequest, 404: ClassBadRequest, 408: ClassTimeout} {
		if got := ClassForStatus(status); got != want {
			t.Errorf("ClassForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("bad key sk-abc123 given", "sk-abc123"); got != "bad key [redacted] given" {
		t.Error(got)
	}
	if got := Redact("abc", ""); got != "abc" {
		t.Error(got)
	}
}
