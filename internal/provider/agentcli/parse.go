package agentcli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/lazyre"
	"github.com/parleyhq/parley/provider"
)

// The CLIs' output formats change between versions (key order, new keys, new event
// types), so it is read by key from generic JSON rather than into fixed structs: a
// value of an unexpected type is treated as absent instead of failing the decode.

type object = map[string]any

// objects returns the JSON objects in data that start at the beginning of a line, in
// order. That covers JSON Lines (one object per line), a pretty-printed document
// (whose nested objects are indented) and an object printed after lines of other text,
// such as the error gemini writes to stderr after a stack trace.
func objects(data []byte) []object {
	var out []object
	for off := 0; off < len(data); {
		if data[off] == '{' {
			dec := json.NewDecoder(bytes.NewReader(data[off:]))
			dec.UseNumber()
			var v object
			if err := dec.Decode(&v); err == nil {
				out = append(out, v)
				off += int(dec.InputOffset())
				continue
			}
		}
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return out
}

// lastWith is the last object that has key, or nil.
func lastWith(objs []object, key string) object {
	for i := len(objs) - 1; i >= 0; i-- {
		if _, ok := objs[i][key]; ok {
			return objs[i]
		}
	}
	return nil
}

// get follows keys into nested objects; nil when any step is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(object)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, keys ...string) string {
	s, _ := get(v, keys...).(string)
	return s
}

// num reads a number (or a numeric string) as a float; ok is false when absent.
func num(v any, keys ...string) (float64, bool) {
	switch n := get(v, keys...).(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

func integer(v any, keys ...string) int {
	f, _ := num(v, keys...)
	return int(f)
}

func boolean(v any, keys ...string) bool {
	b, _ := get(v, keys...).(bool)
	return b
}

// failure builds a classified error from a CLI's own message. status is an HTTP
// status when the CLI reported one (0 otherwise); exit is the process exit code.
func failure(kind Kind, msg string, status, exit int) *provider.Error {
	msg = unwrapAPIError(msg)
	msg = oneLine(msg, 600)
	if msg == "" {
		msg = fmt.Sprintf("exited with code %d and no message", exit)
	}
	class := provider.ClassUnknown
	if status == 0 {
		status = statusIn(msg)
	}
	if status >= 400 {
		class = provider.ClassForStatus(status)
	} else if c := classFromText(msg); c != "" {
		class = c
	}
	code := status
	if code == 0 {
		code = exit
	}
	return &provider.Error{Class: class, Status: code, Message: string(kind) + ": " + msg}
}

// unwrapAPIError reads a message that is an API's error body ({"error": {"message":
// …, "type" or "status": …, "code": …}}, as codex passes a 400 on) as "message
// (type)", keeping a numeric HTTP code in the text for statusIn.
func unwrapAPIError(msg string) string {
	objs := objects([]byte(strings.TrimSpace(msg)))
	if len(objs) != 1 {
		return msg
	}
	inner := str(objs[0], "error", "message")
	if inner == "" {
		return msg
	}
	var tags []string
	for _, k := range []string{"type", "status"} {
		if v := str(objs[0], "error", k); v != "" {
			tags = append(tags, v)
		}
	}
	if c, ok := num(objs[0], "error", "code"); ok && c >= 400 && c < 600 {
		tags = append(tags, "status "+strconv.Itoa(int(c)))
	}
	if len(tags) > 0 {
		inner += " (" + strings.Join(tags, ", ") + ")"
	}
	return inner
}

// statusPatterns find an HTTP status in the CLIs' error texts: "API Error: 401 …",
// "unexpected status 401 Unauthorized", "last status: 429 …", "rejected (429)",
// {"code": 400, …}.
var statusPatterns = []*lazyre.Regexp{
	lazyre.New(`(?i)\bstatus(?: code)?[:= ]+([45]\d\d)\b`),
	lazyre.New(`(?i)\bapi error:? ([45]\d\d)\b`),
	lazyre.New(`\(([45]\d\d)\)`),
	lazyre.New(`"code"\s*:\s*([45]\d\d)\b`),
	lazyre.New(`\b([45]\d\d) (?:Unauthorized|Forbidden|Bad Request|Not Found|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b`),
}

func statusIn(msg string) int {
	for _, re := range statusPatterns {
		if m := re.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// textClasses map words in an error message to a class, for messages without a
// status. Checked in order: a login problem outranks everything else. Each word must
// start at a word boundary ("catalog install" is no "log in").
var textClasses = []struct {
	class provider.Class
	words *lazyre.Regexp
}{
	{provider.ClassAuth, wordsRE("not logged in", "please run /login", "log in", "login", "unauthorized", "unauthenticated", "authenticat", "invalid api key", "api key", "api_key", "credential", "missing environment variable", "invalid auth")},
	{provider.ClassRateLimited, wordsRE("rate limit", "rate_limit", "too many requests", "resource_exhausted", "quota", "usage limit")},
	{provider.ClassServer, wordsRE("overloaded", "internal server error", "server error", "high demand", "unavailable", "temporarily", "try again")},
	{provider.ClassConnection, wordsRE("connection refused", "econnrefused", "econnreset", "socket hang up", "stream disconnected", "error sending request", "fetch failed", "enotfound", "name does not resolve", "network")},
	{provider.ClassBadRequest, wordsRE("invalid_request_error", "bad request", "invalid_argument", "invalid argument", "model not found", "not_found_error")},
}

func wordsRE(words ...string) *lazyre.Regexp {
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return lazyre.New(`(?i)\b(?:` + strings.Join(words, "|") + `)`)
}

func classFromText(msg string) provider.Class {
	for _, tc := range textClasses {
		if tc.words.MatchString(msg) {
			return tc.class
		}
	}
	return ""
}

var (
	ansi     = lazyre.New(`\x1b\[[0-9;?]*[ -/]*[@-~]`)
	spaces   = lazyre.New(`\s+`)
	keyShape = lazyre.New(`\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{30,})`)
)

// oneLine flattens a message to one line of at most max bytes (cut at a rune
// boundary), without terminal escapes.
func oneLine(s string, max int) string {
	s = ansi.ReplaceAllString(s, "")
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// tailText is the end of what a CLI printed to stderr, on one line: the error
// comes last, after warnings.
func tailText(b []byte, max int) string {
	s := oneLine(string(b), len(b)+1)
	if len(s) <= max {
		return s
	}
	cut := len(s) - max
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return "…" + s[cut:]
}

// snippet is a bounded excerpt of what a CLI printed, for an error about output that
// could not be read: the end of stderr, else the start of stdout.
func snippet(o outcome) string {
	if s := tailText(o.stderr, 400); s != "" {
		return s
	}
	if s := oneLine(string(o.stdout), 400); s != "" {
		return s
	}
	return "(no output)"
}

// unreadable is the error for output that holds no answer and no error we know.
func unreadable(kind Kind, o outcome, what string) *provider.Error {
	msg := fmt.Sprintf("%s: %s (exit code %d): %s", kind, what, o.exitCode, snippet(o))
	if o.signaled {
		msg = fmt.Sprintf("%s: killed by a signal before answering: %s", kind, snippet(o))
	}
	class := provider.ClassUnknown
	// A CLI that failed with a message we can place (no network, no login) is
	// classified even without the JSON around it.
	if o.exitCode != 0 {
		if st := statusIn(string(o.stderr)); st >= 400 {
			class = provider.ClassForStatus(st)
		} else if c := classFromText(string(o.stderr)); c != "" {
			class = c
		}
	}
	return &provider.Error{Class: class, Status: o.exitCode, Message: msg}
}
