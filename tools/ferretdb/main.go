// Command ferretdb runs FerretDB v1 with its SQLite backend for local development and tests.
//
// It embeds github.com/FerretDB/FerretDB/ferretdb because `go install .../cmd/ferretdb`
// builds a binary that panics at start (it needs build/version/version.txt). It also keeps an
// index that FerretDB's own `_id` pushdown can use on every collection (id_index.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "./.data/ferretdb", "directory for the SQLite files")
	flag.Parse()

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	go keepIDIndexes(ctx, dir)

	fmt.Println("ferretdb listening on", f.MongoDBURI())
	f.Run(ctx)
}
