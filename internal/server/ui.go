package server

import (
	"embed"
	"mime"
	"net/http"
	"path"
)

// The web UI: one page, a stylesheet and a script, embedded in the binary. Plain
// HTML, CSS and JavaScript with no build step and nothing fetched from elsewhere.
//
//go:embed ui/index.html ui/app.js ui/app.css
var uiFiles embed.FS

// uiCSP is the UI's Content-Security-Policy: it loads only its own files and talks
// only to this server. No inline script and no inline style, so that text a
// model wrote can never run here even if it reached the DOM as markup.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	serveUIFile(w, "index.html")
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	switch name {
	case "app.js", "app.css":
		serveUIFile(w, name)
	default:
		http.NotFound(w, r)
	}
}

func serveUIFile(w http.ResponseWriter, name string) {
	data, err := uiFiles.ReadFile("ui/" + name)
	if err != nil {
		http.Error(w, "missing UI file", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	if name == "index.html" {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	h.Set("Content-Security-Policy", uiCSP)
	// The files change only with the binary; revalidating is cheap on loopback and
	// keeps an upgraded server from running yesterday's script.
	h.Set("Cache-Control", "no-cache")
	w.Write(data)
}
