package main

// FerretDB v1.24's SQLite backend pushes a filter that is exactly {_id: <string|ObjectId>} down
// to SQL as `WHERE _ferretdb_sjson->'$._id' = ?` (reads, and the write half of every update and
// delete), but it indexes `_id` as `_ferretdb_sjson->"_id"`. SQLite matches an index to a query
// by the expression's text, so every point operation scanned the whole table: findOne by _id took
// 376 ms and updateOne by _id 1,374 ms at 20,000 documents of 2 KB here. The expression index
// below is the one that query can use: the same operations then take 4.6 ms and 7.4 ms, flat as
// the collection grows (measured 2026-12-02 on this 2-core machine; see README, Performance).
//
// FerretDB has no hook for "collection created", so a loop looks at the data directory once a
// second and gives every collection table of every database the index. It only opens a database
// file whose size or modification time changed since it last looked, so idle databases cost
// nothing. FerretDB never sees the index (its metadata lists only its own), and DROP TABLE takes
// it away with the table.

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB itself uses
)

// idIndexSuffix names the index: "<table>_vectort_id_path". FerretDB names its own indexes
// "<table>_<index name>", so only an index a user named "vectort_id_path" could collide.
const idIndexSuffix = "_vectort_id_path"

// fileState is what a database file looked like when its tables were last checked.
type fileState struct {
	size, walSize   int64
	mtime, walMtime time.Time
}

func stateOf(path string) (fileState, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return fileState{}, false
	}
	s := fileState{size: st.Size(), mtime: st.ModTime()}
	if wal, err := os.Stat(path + "-wal"); err == nil {
		s.walSize, s.walMtime = wal.Size(), wal.ModTime()
	}
	return s, true
}

// keepIDIndexes adds the index to new collections in dir until ctx ends.
func keepIDIndexes(ctx context.Context, dir string) {
	seen := map[string]fileState{}
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, f := range files {
			st, ok := stateOf(f)
			if !ok || seen[f] == st {
				continue
			}
			if err := indexTables(ctx, f); err != nil {
				// Busy, or dropped meanwhile: look again at the next tick.
				delete(seen, f)
				continue
			}
			seen[f] = st
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// indexTables creates the missing indexes of one database file.
func indexTables(ctx context.Context, path string) error {
	// mode=rw: never create a file FerretDB would then take for a database.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections
		WHERE table_name || ? NOT IN (SELECT name FROM sqlite_master WHERE type = 'index')`, idIndexSuffix)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+idIndexSuffix, t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Printf("id index on %s in %s: %v", t, filepath.Base(path), err)
			return err
		}
	}
	return nil
}
