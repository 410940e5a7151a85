#!/usr/bin/env python3
"""Create a fresh MLMD SQLite store with the real ML Metadata and dump its schema.

Usage:
    dump_mlmd_schema.py PATH            # create store at PATH (must not exist), dump it
    dump_mlmd_schema.py --no-create PATH  # only dump an existing SQLite file
    dump_mlmd_schema.py [--no-create] --sqlite-master PATH
        # instead of JSON, print the `sql` of every sqlite_master entry in
        # creation (rowid) order, one statement per line (the exact DDL text)

Prints deterministic JSON (sorted keys, rows in a fixed order) on stdout:

    {
      "tables": {
        "<table>": {
          "columns": [{cid, name, type, notnull, dflt_value, pk}, ...],   # by cid
          "indexes": [{name, unique, origin, partial, columns: [...]}, ...]  # by name
        }, ...
      },
      "index_sql": {"<index name>": "<CREATE INDEX ...>", ...},  # explicit indices
      "mlmd_env": [{"schema_version": N}, ...],
      "types": [{id, name, version, type_kind, description, input_type,
                 output_type, external_id}, ...],                   # by id
      "sqlite_sequence": [{"name": ..., "seq": ...}, ...]           # by name
    }

The --no-create mode lets the same dump be applied to a file created by
another implementation (e.g. mlmd-ts) for a like-for-like comparison.
"""

import json
import os
import sqlite3
import sys


def create_store(path):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    cfg = metadata_store_pb2.ConnectionConfig()
    cfg.sqlite.filename_uri = path
    cfg.sqlite.connection_mode = (
        metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
    store = metadata_store.MetadataStore(cfg)
    del store


def _quote(ident):
    return '"' + ident.replace('"', '""') + '"'


def _rows(conn, sql, params=()):
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def dump_schema(path):
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        tables = {}
        table_names = [
            r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")
        ]
        for t in table_names:
            cols = _rows(conn, 'PRAGMA table_info(%s)' % _quote(t))
            columns = [{
                'cid': c['cid'],
                'name': c['name'],
                'type': c['type'],
                'notnull': c['notnull'],
                'dflt_value': c['dflt_value'],
                'pk': c['pk'],
            } for c in sorted(cols, key=lambda c: c['cid'])]
            indexes = []
            for ix in _rows(conn, 'PRAGMA index_list(%s)' % _quote(t)):
                info = _rows(conn, 'PRAGMA index_info(%s)' % _quote(ix['name']))
                indexes.append({
                    'name': ix['name'],
                    'unique': ix['unique'],
                    'origin': ix['origin'],
                    'partial': ix['partial'],
                    'columns': [
                        i['name'] for i in sorted(info, key=lambda i: i['seqno'])
                    ],
                })
            indexes.sort(key=lambda i: i['name'])
            tables[t] = {'columns': columns, 'indexes': indexes}

        index_sql = {
            r[0]: r[1] for r in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                'AND sql IS NOT NULL ORDER BY name')
        }

        mlmd_env = []
        if 'MLMDEnv' in tables:
            mlmd_env = _rows(
                conn, 'SELECT * FROM MLMDEnv ORDER BY schema_version')

        types = []
        if 'Type' in tables:
            types = _rows(
                conn, 'SELECT id, name, version, type_kind, description, '
                'input_type, output_type, external_id FROM Type ORDER BY id')

        has_seq = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
        ).fetchone()
        sqlite_sequence = (
            _rows(conn, 'SELECT name, seq FROM sqlite_sequence ORDER BY name')
            if has_seq else [])

        return {
            'tables': tables,
            'index_sql': index_sql,
            'mlmd_env': mlmd_env,
            'types': types,
            'sqlite_sequence': sqlite_sequence,
        }
    finally:
        conn.close()


def dump_master_sql(path):
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        return [
            r[0] + ';' for r in conn.execute(
                'SELECT sql FROM sqlite_master WHERE sql IS NOT NULL '
                'ORDER BY rowid')
        ]
    finally:
        conn.close()


def main(argv):
    args = argv[1:]
    create = True
    master_sql = False
    while args and args[0].startswith('--'):
        if args[0] == '--no-create':
            create = False
        elif args[0] == '--sqlite-master':
            master_sql = True
        else:
            sys.stderr.write(__doc__)
            return 2
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    path = args[0]
    if create:
        if os.path.exists(path):
            sys.stderr.write('refusing to overwrite existing file: %s\n' % path)
            return 2
        create_store(path)
    elif not os.path.exists(path):
        sys.stderr.write('no such file: %s\n' % path)
        return 2
    if master_sql:
        for stmt in dump_master_sql(path):
            sys.stdout.write(stmt + '\n')
        return 0
    json.dump(dump_schema(path), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
