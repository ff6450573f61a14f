package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// A database file shaped as FerretDB's SQLite backend writes it: its metadata table, one
// collection table and FerretDB's own _id index, which its `_id` pushdown cannot use.
func ferretLikeDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.sqlite")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`CREATE TABLE _ferretdb_collections (name TEXT NOT NULL UNIQUE, table_name TEXT NOT NULL UNIQUE, settings TEXT NOT NULL)`,
		`INSERT INTO _ferretdb_collections VALUES ('jobs', 'jobs_1234abcd', '{}')`,
		`CREATE TABLE "jobs_1234abcd" (_ferretdb_sjson TEXT NOT NULL CHECK(_ferretdb_sjson != '')) STRICT`,
		`CREATE UNIQUE INDEX "jobs_1234abcd__id_" ON "jobs_1234abcd" (_ferretdb_sjson->"_id")`,
		`INSERT INTO "jobs_1234abcd" VALUES ('{"$s":{"p":{"_id":{"t":"objectId"}},"$k":["_id"]},"_id":"6b0f73205d0c4c38064584a9"}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	return path, db
}

// planOf is SQLite's plan for the query FerretDB sends for a filter of {_id: value} alone.
func planOf(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "jobs_1234abcd" WHERE _ferretdb_sjson->'$._id' = ?`, `"x"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

func TestIndexTablesGivesThePushdownAnIndex(t *testing.T) {
	path, _ := ferretLikeDB(t)
	fresh := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	if plan := planOf(t, fresh()); !strings.HasPrefix(plan, "SCAN") {
		t.Fatalf("FerretDB's own index should not serve its pushdown, plan: %s", plan)
	}
	if err := indexTables(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if plan := planOf(t, fresh()); !strings.Contains(plan, "USING INDEX jobs_1234abcd"+idIndexSuffix) {
		t.Fatalf("the pushdown should search the new index, plan: %s", plan)
	}
	// A second pass finds nothing to do.
	if err := indexTables(context.Background(), path); err != nil {
		t.Fatal(err)
	}
}

func TestIndexTablesNeverCreatesAFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone.sqlite")
	if err := indexTables(context.Background(), missing); err == nil {
		t.Fatal("a missing database file should be an error, not a new file")
	}
	if _, ok := stateOf(missing); ok {
		t.Fatal("indexTables created a database file")
	}
}
