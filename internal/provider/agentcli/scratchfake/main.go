package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"

	"github.com/parleyhq/parley/internal/fakellm"
)

func main() {
	s := fakellm.New(fakellm.Options{Logf: log.Printf})
	if st, _ := strconv.Atoi(os.Getenv("STATUS")); st != 0 {
		s.Script(fakellm.AnyModel, fakellm.Script{Replies: []fakellm.Reply{{Status: st}}})
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			var names []string
			if tools, ok := m["tools"].([]any); ok {
				for _, t := range tools {
					tm, _ := t.(map[string]any)
					if n, ok := tm["name"].(string); ok {
						names = append(names, n)
					}
					if fd, ok := tm["functionDeclarations"].([]any); ok {
						for _, f := range fd {
							names = append(names, f.(map[string]any)["name"].(string))
						}
					}
				}
			}
			log.Printf("REQ %s %s tools=%v", r.Method, r.URL.Path, names)
			if os.Getenv("DUMP") != "" {
				os.WriteFile(os.Getenv("DUMP"), body, 0o644)
			}
		}
		if t := os.Getenv("TARGET"); t != "" && r.Method == "POST" && toolCall(w, r, string(body), t) {
			return
		}
		s.ServeHTTP(w, r)
	})
	fmt.Println("listening")
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Args[1], h))
}
