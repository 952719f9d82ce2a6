// Package lazyre is a regular expression compiled on first use instead of at
// package initialisation.
//
// A package-level regexp.MustCompile runs in init, on every start of every parley
// command, whether or not the expression is ever used: `parley version` paid for
// the reply parser's Unicode-class expressions (\p{L} alone compiles to a large
// class; debate's set measured ~1.7 ms, GODEBUG=inittrace=1). A *Regexp here has
// the methods of *regexp.Regexp that parley calls, so a declaration changes and its
// uses do not. The pattern is still checked: the first use panics on a bad one,
// as MustCompile would at init, and each package's tests use each expression.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a *regexp.Regexp compiled on first use; safe for concurrent use.
type Regexp struct {
	re func() *regexp.Regexp
}

// New returns pattern, to be compiled (with regexp.MustCompile) on first use.
func New(pattern string) *Regexp {
	return &Regexp{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })}
}

// Compiled returns the compiled expression, compiling it if need be.
func (r *Regexp) Compiled() *regexp.Regexp { return r.re() }

func (r *Regexp) MatchString(s string) bool            { return r.re().MatchString(s) }
func (r *Regexp) FindString(s string) string           { return r.re().FindString(s) }
func (r *Regexp) FindStringIndex(s string) []int       { return r.re().FindStringIndex(s) }
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }
func (r *Regexp) FindStringSubmatchIndex(s string) []int {
	return r.re().FindStringSubmatchIndex(s)
}
func (r *Regexp) FindAllString(s string, n int) []string { return r.re().FindAllString(s, n) }
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.re().FindAllStringSubmatch(s, n)
}
func (r *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return r.re().FindAllStringSubmatchIndex(s, n)
}
func (r *Regexp) FindAllStringIndex(s string, n int) [][]int { return r.re().FindAllStringIndex(s, n) }
func (r *Regexp) ReplaceAllString(src, repl string) string   { return r.re().ReplaceAllString(src, repl) }
func (r *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return r.re().ReplaceAllStringFunc(src, repl)
}
func (r *Regexp) Split(s string, n int) []string { return r.re().Split(s, n) }
func (r *Regexp) String() string                 { return r.re().String() }
