package sqlite

import (
	"context"
	"fmt"
	"testing"
)

func TestZZSizes(t *testing.T) {
	b := &testing.B{}
	_ = b
	st, err := Open(context.Background(), "/tmp/zz.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.w.Query(`SELECT kind, length(data), substr(data,1,3000) FROM events WHERE debate_id='bench-1' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, d string
		var n int
		rows.Scan(&k, &n, &d)
		fmt.Println(k, n)
		if k == "turn_completed" && n > 8000 {
			fmt.Println(d)
		}
	}
}
