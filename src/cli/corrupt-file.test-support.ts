/**
 * Real damaged store files for the tests of corruption handling: a store with artifacts, then
 * one page of a table overwritten on disk, as a failing disk or a bad copy would leave it.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { MetadataSource } from '../storage/metadata-source.js'
import { createMetadataStore } from '../store/metadata-store.js'

/**
 * Creates `file` holding an artifact type `Model` and `count` artifacts with a string property,
 * then smashes the last leaf page of the `Artifact` table (its b-tree page header), so a
 * statement that reads the last artifacts fails with SQLITE_CORRUPT while types and the first
 * artifacts still read, and SQLite's integrity check names the page.
 */
export function writeCorruptStore(file: string, count = 500): void {
  const store = createMetadataStore({ filename: file })
  const { type_id } = store.putArtifactType({ artifact_type: { name: 'Model' } })
  store.putArtifacts({
    artifacts: Array.from({ length: count }, (_, i) => ({
      type_id,
      uri: `s3://bucket/model/${i}`,
      custom_properties: { note: { string_value: 'x'.repeat(200) } },
    })),
  })
  store.close()
  // Fold the WAL into the file, so the page on disk is the one SQLite reads.
  const source = MetadataSource.open({ filename: file, mustExist: true })
  let pageSize: number
  let root: number
  try {
    source.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    ;[pageSize, root] = source.execute('read', (tx) => [
      Number(tx.get<{ page_size: bigint }>({ sql: 'PRAGMA page_size', params: [] })?.page_size),
      Number(
        tx.get<{ rootpage: bigint }>({
          sql: "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'Artifact'",
          params: [],
        })?.rootpage,
      ),
    ])
  } finally {
    source.close()
  }
  const fd = openSync(file, 'r+')
  try {
    // An interior b-tree page (type 0x05) keeps its right-most child's number at byte 8.
    const header = Buffer.alloc(12)
    readSync(fd, header, 0, 12, (root - 1) * pageSize)
    if (header[0] !== 0x05)
      throw new Error(`the Artifact table fits one page; add more than ${count} artifacts`)
    const leaf = header.readUInt32BE(8)
    // Page type 0x00 is no b-tree page kind; the rest of its header becomes nonsense too.
    writeSync(fd, Buffer.alloc(64, 0), 0, 64, (leaf - 1) * pageSize)
  } finally {
    closeSync(fd)
  }
}
