package lazyre

import (
	"sync"
	"testing"
)

func TestLazyCompilesOnFirstUseOnly(t *testing.T) {
	r := New(`(\d+)-(\d+)`)
	if got := r.FindStringSubmatch("a 12-34"); len(got) != 3 || got[1] != "12" || got[2] != "34" {
		t.Fatalf("FindStringSubmatch = %q", got)
	}
	if r.Compiled() != r.Compiled() {
		t.Error("compiled twice")
	}
	if got := r.ReplaceAllString("1-2 x 3-4", "$2-$1"); got != "2-1 x 4-3" {
		t.Errorf("ReplaceAllString = %q", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !r.MatchString("9-9") {
				t.Error("MatchString false")
			}
		})
	}
	wg.Wait()
}

func TestBadPatternPanicsOnUse(t *testing.T) {
	r := New(`(`) // no panic yet: nothing is compiled at New
	defer func() {
		if recover() == nil {
			t.Error("a bad pattern did not panic on first use")
		}
	}()
	r.MatchString("x")
}
