package server

import (
	_ "embed"
	"net/http"

	"github.com/xborder/xborder/internal/gateway"
)

// openapiDoc is the OpenAPI 3 description of the API; a test keeps it in
// step with Routes (paths, methods and roles).
//
//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the document.
func OpenAPI() []byte { return openapiDoc }

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ gateway.Actor) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openapiDoc)
}
