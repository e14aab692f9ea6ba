// A registry with the OCI 1.1 referrers API for tollgate's tests: go-containerregistry's pkg/registry (the
// one `crane registry serve` runs) with referrers support switched on, which crane's command leaves off.
// Usage: referrers-registry 127.0.0.1:PORT
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: referrers-registry ADDR")
	}
	h := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", 0)))
	log.Fatal(http.ListenAndServe(os.Args[1], h))
}
