package sse_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/parleyhq/parley/internal/sse"
)

func TestReadAll(t *testing.T) {
	stream := ": heartbeat\n\n" +
		"id: 1\nevent: debate_started\ndata: {\"a\":1}\n\n" +
		"event: turn_delta\ndata: tok\n\n" +
		"data: line one\ndata: line two\n\n" +
		"data:no space\nid:7\n\n" +
		"event: finished\r\ndata: {}\r\n\r\n" + // CRLF, as some proxies write
		"event: cut\ndata: never ended"
	got, err := sse.ReadAll(strings.NewReader(stream), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []sse.Event{
		{ID: "1", Name: "debate_started", Data: `{"a":1}`},
		{Name: "turn_delta", Data: "tok"},
		{Data: "line one\nline two"},
		{ID: "7", Data: "no space"},
		{Name: "finished", Data: "{}"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
}

func TestReadAllStops(t *testing.T) {
	stream := "event: a\ndata: 1\n\nevent: b\ndata: 2\n\nevent: c\ndata: 3\n\n"
	got, err := sse.ReadAll(strings.NewReader(stream), func(e sse.Event) bool { return e.Name == "b" })
	if err != nil || len(got) != 2 || got[1].Name != "b" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestTransportErrorIsReturned(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("event: a\ndata: 1\n\n"), iotest.ErrReader(boom))
	got, err := sse.ReadAll(r, nil)
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestLongEvent(t *testing.T) {
	big := strings.Repeat("x", 4<<20)
	got, err := sse.ReadAll(strings.NewReader("data: "+big+"\n\n"), nil)
	if err != nil || len(got) != 1 || len(got[0].Data) != len(big) {
		t.Fatalf("a 4 MB event: %d events, %v", len(got), err)
	}
}
