package startup

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMappingsOf(t *testing.T) {
	maps := []byte(`00400000-02c54000 r-xp 00000000 fd:01 1234    /usr/local/bin/parley
02c54000-0695c000 r--p 02854000 fd:01 1234    /usr/local/bin/parley
0695c000-06f98000 rw-p 0655c000 fd:01 1234    /usr/local/bin/parley
06f98000-0920e000 rw-p 00000000 00:00 0
c000000000-c000400000 rw-p 00000000 00:00 0
7f0000000000-7f0000001000 r--p 00000000 fd:01 99      /usr/local/bin/parley-old
7f0000002000-7f0000003000 r--p 00000000 fd:01 98      /opt/usr/local/bin/parley
zz-7f0000004000 r--p 00000000 fd:01 1234    /usr/local/bin/parley
7f0000006000-7f0000005000 r--p 00000000 fd:01 1234    /usr/local/bin/parley
7fff0000-7fff1000 r--p 00000000 fd:01 1234    /usr/local/bin/parley`)
	got := mappingsOf(maps, "/usr/local/bin/parley")
	want := []span{{0x400000, 0x2c54000}, {0x2c54000, 0x695c000}, {0x695c000, 0x6f98000}, {0x7fff0000, 0x7fff1000}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(span{})); diff != "" {
		t.Errorf("mappingsOf (-want +got):\n%s", diff)
	}
}

func TestSpareCore(t *testing.T) {
	for _, c := range []struct {
		loadavg string
		cpus    int
		want    bool
	}{
		{"0.81 1.86 1.83 2/103 9693\n", 2, true},  // idle: this process's two threads
		{"0.81 1.86 1.83 3/103 9693\n", 2, true},  // and one passing through
		{"2.91 1.87 1.83 4/107 9701\n", 2, false}, // two other tasks on the two cores
		{"2.91 1.87 1.83 4/107 9701\n", 8, true},
		{"0.00 0.00 0.00 1/50 1\n", 1, false}, // one core: none to spare
		{"0.00 0.00 0.00 3/50 1\n", 4, true},
		{"0.81 1.86 1.83 12/103 9693", 16, true},
		{"0.81 1.86 1.83 x/103 9693", 16, false},
		{"0.81 1.86 1.83 2", 16, false},
		{"", 2, false},
	} {
		if got := spareCore([]byte(c.loadavg), c.cpus); got != c.want {
			t.Errorf("spareCore(%q, %d) = %v, want %v", c.loadavg, c.cpus, got, c.want)
		}
	}
}

// ballast is 8 MB of initialised data nothing reads, as most of a real binary is
// at start: without it this small test binary is nearly all mapped by the inits'
// faults alone (each maps its neighbours too), and the test could not tell.
var ballast = [8 << 20]byte{1}

// TestMain doubles as the child of TestPrefaultMapsTheExecutable: with
// PREFAULT_REPORT set it prints how much of its own executable's mappings is
// resident. init's prefault steps aside on a busy machine (TestSpareCore), and
// tests run beside others, so unless PARLEY_NO_PREFAULT is set the child populates
// itself, as the prefault would, before it looks.
func TestMain(m *testing.M) {
	if os.Getenv("PREFAULT_REPORT") != "" {
		if !disabled() {
			populate()
		}
		fmt.Println(residentShare(), ballast[0])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestPrefaultMapsTheExecutable runs this test binary twice: populated, nearly all
// of the executable's pages are mapped; with PARLEY_NO_PREFAULT=1 only the pages
// the inits touched are.
func TestPrefaultMapsTheExecutable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the prefault is Linux's")
	}
	if !kernelPopulates() {
		t.Skip("this kernel has no MADV_POPULATE_READ (Linux 5.14): the prefault does nothing here, as designed")
	}
	share := func(env ...string) float64 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), append(env, "PREFAULT_REPORT=1")...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		v, err := strconv.ParseFloat(strings.Fields(string(out) + " ")[0], 64)
		if err != nil {
			t.Fatalf("child printed %q", out)
		}
		return v
	}
	// The binary was just written, so the page cache holds it and the prefault
	// does not skip it as cold.
	on, off := share(), share("PARLEY_NO_PREFAULT=1")
	t.Logf("resident share of the executable's mappings: %.2f with the prefault, %.2f without", on, off)
	if on < 0.95 {
		t.Errorf("with the prefault %.2f of the executable is mapped, want ≥ 0.95", on)
	}
	if off > 0.7 {
		t.Errorf("without the prefault %.2f of the executable is mapped: the test cannot tell the prefault's work from the inits'", off)
	}
}

// residentShare reads /proc/self/smaps: the resident share of the mappings of
// this executable's file.
func residentShare() float64 {
	self, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return -1
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return -1
	}
	var size, rss, in int64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			// A mapping's header: "lo-hi perms offset dev inode [path]".
			in = 0
			if len(f) >= 6 && f[len(f)-1] == self {
				in = 1
			}
		case in == 1 && len(f) == 3 && f[0] == "Size:":
			n, _ := strconv.ParseInt(f[1], 10, 64)
			size += n
		case in == 1 && len(f) == 3 && f[0] == "Rss:":
			n, _ := strconv.ParseInt(f[1], 10, 64)
			rss += n
		}
	}
	if size == 0 {
		return -1
	}
	return float64(rss) / float64(size)
}
