// Command gencatalog writes internal/models/catalog_data.go: the part of catwalk's
// embedded model catalogue parley reads (the four vendors' models, prices, context
// windows, output caps, reasoning levels and current picks), as a Go table.
//
// Why a generated table and not catwalk at run time: catwalk embeds ~730 KB of JSON
// for every provider it knows and decodes all of it on first use, 8–16 ms of every
// parley process (docs/BENCHMARKS.md, issue 18). A table of Go constants costs
// nothing to load: the linker lays it out as static data. The data stays catwalk's:
// `go generate ./internal/models` after a catwalk bump rewrites it, and
// TestCatalogDataIsCatwalks fails until someone does.
package main

import (
	"flag"
	"log"
	"os"

	"charm.land/catwalk/pkg/embedded"

	"github.com/parleyhq/parley/internal/models/gencatalog/gen"
)

func main() {
	out := flag.String("o", "catalog_data.go", "the file to write")
	flag.Parse()
	src, err := gen.Generate(embedded.GetAll())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
