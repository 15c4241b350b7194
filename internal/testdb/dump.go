package testdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// SmartYardDump is the real SmartYard schema the store must stay compatible
// with: the SmartYard server's own schema and seed, kept in testdata.
func SmartYardDump() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "smartyard-dump.sql")
}

// LoadSmartYard loads the SmartYard dump into the database at dsn, as psql
// would, leaving out what needs the production roles (\c, OWNER TO, GRANT).
func LoadSmartYard(tb testing.TB, dsn string) {
	tb.Helper()
	path := os.Getenv("YARDSYNC_SMARTYARD_DUMP")
	if path == "" {
		path = SmartYardDump()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("testdb: read SmartYard dump: %v", err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("testdb: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, dumpToSQL(string(data))); err != nil {
		tb.Fatalf("testdb: load SmartYard dump: %v", err)
	}
}

// dumpToSQL turns pg_dump output into plain statements: COPY blocks become
// INSERTs and role-dependent lines are dropped.
func dumpToSQL(dump string) string {
	var out strings.Builder
	lines := strings.Split(dump, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, `\`),
			strings.Contains(line, "OWNER TO"),
			strings.HasPrefix(line, "GRANT "):
			continue
		case strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, "FROM stdin;"):
			head := strings.TrimSuffix(strings.TrimPrefix(line, "COPY "), " FROM stdin;")
			for i++; i < len(lines) && lines[i] != `\.`; i++ {
				fmt.Fprintf(&out, "INSERT INTO %s VALUES (%s);\n", head, copyValues(lines[i]))
			}
			continue
		}
		out.WriteString(line + "\n")
	}
	return out.String()
}

func copyValues(row string) string {
	fields := strings.Split(row, "\t")
	for i, f := range fields {
		if f == `\N` {
			fields[i] = "NULL"
		} else {
			fields[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
		}
	}
	return strings.Join(fields, ", ")
}
