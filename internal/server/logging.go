package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"golang.org/x/term"
)

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
	LogAuto = "auto" // text on a terminal, JSON otherwise (a container, a service)
)

// LogFormat resolves the format asked for (a flag, else an environment value, else
// auto) for the writer w.
func LogFormat(asked string, w io.Writer) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(asked)); f {
	case LogText, LogJSON:
		return f, nil
	case "", LogAuto:
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return LogText, nil
		}
		return LogJSON, nil
	default:
		return "", fmt.Errorf("unknown log format %q: use json, text or auto", asked)
	}
}

// keyLike matches what looks like a credential whatever its source: a bearer
// token, or a key of the usual prefixes (sk-…, sk-ant-…, AIza…). Known secrets are
// redacted exactly as well; this catches those parley was not told of.
var keyLike = regexp.MustCompile(`(?i)\bbearer\s+[^\s"']+|\bsk-[A-Za-z0-9_-]{8,}|\bAIza[0-9A-Za-z_-]{20,}`)

// Redacted replaces a secret in a log line.
const Redacted = "[REDACTED]"

// NewLogger returns the server's logger in format (LogText or LogJSON) on w. Every
// string it writes, error messages included, has the secrets given (the API token,
// the providers' keys) and anything key-like replaced by [REDACTED]: a key must
// never reach a log, even through an error that quotes a request.
func NewLogger(w io.Writer, format string, secrets []string) (*slog.Logger, error) {
	var keep []string
	for _, s := range secrets {
		if len(s) >= 4 { // shorter ones would redact ordinary words
			keep = append(keep, s)
		}
	}
	scrub := func(s string) string {
		for _, k := range keep {
			s = strings.ReplaceAll(s, k, Redacted)
		}
		return keyLike.ReplaceAllString(s, Redacted)
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			if v := a.Value.String(); v != scrub(v) {
				return slog.String(a.Key, scrub(v))
			}
		case slog.KindAny:
			if err, ok := a.Value.Any().(error); ok {
				return slog.String(a.Key, scrub(err.Error()))
			}
			if s, ok := a.Value.Any().(fmt.Stringer); ok {
				return slog.String(a.Key, scrub(s.String()))
			}
		}
		return a
	}}
	switch format {
	case LogText:
		return slog.New(scrubMessage{slog.NewTextHandler(w, opts), scrub}), nil
	case LogJSON:
		return slog.New(scrubMessage{slog.NewJSONHandler(w, opts), scrub}), nil
	}
	return nil, errors.New("NewLogger: format must be text or json")
}

// scrubMessage redacts the message of a record too, which ReplaceAttr never sees.
type scrubMessage struct {
	slog.Handler
	scrub func(string) string
}

func (h scrubMessage) Handle(ctx context.Context, r slog.Record) error {
	if m := h.scrub(r.Message); m != r.Message {
		r2 := slog.NewRecord(r.Time, r.Level, m, r.PC)
		r.Attrs(func(a slog.Attr) bool { r2.AddAttrs(a); return true })
		r = r2
	}
	return h.Handler.Handle(ctx, r)
}

func (h scrubMessage) WithAttrs(as []slog.Attr) slog.Handler {
	return scrubMessage{h.Handler.WithAttrs(as), h.scrub}
}

func (h scrubMessage) WithGroup(name string) slog.Handler {
	return scrubMessage{h.Handler.WithGroup(name), h.scrub}
}
