package sqlite

import (
	"testing"
	"time"
)

func TestTimeFormat(t *testing.T) {
	for _, tt := range []time.Time{
		{},
		time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC),
		time.Date(2026, 3, 14, 18, 26, 53, 1, time.FixedZone("KST", 9*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
	} {
		s := formatTime(tt)
		got, err := parseTime(s)
		if err != nil {
			t.Errorf("parseTime(%q): %v", s, err)
			continue
		}
		if !got.Equal(tt) || (!tt.IsZero() && got.Location() != time.UTC) {
			t.Errorf("parseTime(formatTime(%v)) = %v", tt, got)
		}
		if len(s) != 0 && len(s) != len(timeLayout) {
			t.Errorf("formatTime(%v) = %q: not fixed width", tt, s)
		}
	}
	// Order of the text is order in time.
	a := formatTime(time.Date(2026, 3, 14, 9, 26, 53, 9, time.UTC))
	b := formatTime(time.Date(2026, 3, 14, 9, 26, 53, 10, time.UTC))
	if a >= b {
		t.Errorf("%q sorts after %q", a, b)
	}
	for _, bad := range []string{"2026-02-30T00:00:00.000000000Z", "2026-13-01T00:00:00.000000000Z", "x", "2026-03-14T09:26:53Z"} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) succeeded", bad)
		}
	}
}
