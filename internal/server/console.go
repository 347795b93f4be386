package server

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// consoleFiles is the web console: static HTML, CSS and JavaScript modules,
// embedded so the binary serves it offline with nothing fetched from other
// sites. See docs/console.md.
//
//go:embed console
var consoleFiles embed.FS

// consoleCSP confines the console to this origin: scripts and styles only
// from the embedded files (no inline code, no eval), requests only to the
// API, no framing. blob: is for the "Download JSON" links.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func consoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// The files change with the binary; revalidate rather than serve a stale
	// console against a newer API.
	h.Set("Cache-Control", "no-cache")
}

// mountConsole serves the web console. The shell holds no data: it asks for
// a token and calls the API with it, so it is public like health and the
// OpenAPI document. Its files are not API routes (Routes does not list them).
func (s *Server) mountConsole() {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/console/", http.FileServerFS(sub))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
	s.mux.HandleFunc("GET /console/", func(w http.ResponseWriter, r *http.Request) {
		// No directory listings: only files.
		if strings.HasSuffix(r.URL.Path, "/") {
			writeError(w, http.StatusNotFound, "not_found", "no such console file: "+r.URL.Path, nil)
			return
		}
		consoleHeaders(w)
		files.ServeHTTP(&jsonNotFound{ResponseWriter: w, path: r.URL.Path}, r)
	})
}

// jsonNotFound turns the file server's text 404 into the API's JSON error,
// so that every error the server answers has one shape.
type jsonNotFound struct {
	http.ResponseWriter
	path    string
	dropped bool
}

func (w *jsonNotFound) WriteHeader(code int) {
	if code == http.StatusNotFound && !w.dropped {
		w.dropped = true
		writeError(w.ResponseWriter, code, "not_found", "no such console file: "+w.path, nil)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *jsonNotFound) Write(b []byte) (int, error) {
	if w.dropped {
		return len(b), nil // the text body of the 404
	}
	return w.ResponseWriter.Write(b)
}
