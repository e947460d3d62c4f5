import {DatabaseSync, type StatementSync} from 'node:sqlite'

import {collectRefs, compareIds, type LakeDocument} from './documents'

export interface DocumentWrite {
  id: string
  /** The new state, or null to delete. */
  doc: LakeDocument | null
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    rev TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS documents_by_type ON documents (type, id);
  CREATE TABLE IF NOT EXISTS refs (
    from_id TEXT NOT NULL,
    to_id TEXT NOT NULL,
    PRIMARY KEY (from_id, to_id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS refs_by_target ON refs (to_id, from_id);
  CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY NOT NULL,
    timestamp TEXT NOT NULL,
    document_count INTEGER NOT NULL
  );
`

/**
 * One dataset's SQLite file. WAL + synchronous=FULL: a committed transaction survives
 * a crash, and an interrupted one is rolled back when the file is next opened.
 */
export class DatasetFile {
  readonly path: string
  readonly #db: DatabaseSync
  readonly #upsert: StatementSync
  readonly #delete: StatementSync
  readonly #deleteRefs: StatementSync
  readonly #insertRef: StatementSync
  readonly #insertTransaction: StatementSync

  constructor(path: string) {
    this.path = path
    this.#db = new DatabaseSync(path, {timeout: 5000})
    this.#db.exec('PRAGMA journal_mode = WAL')
    this.#db.exec('PRAGMA synchronous = FULL')
    this.#db.exec(SCHEMA)
    this.#upsert = this.#db.prepare(
      'INSERT OR REPLACE INTO documents (id, type, rev, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?)',
    )
    this.#delete = this.#db.prepare('DELETE FROM documents WHERE id = ?')
    this.#deleteRefs = this.#db.prepare('DELETE FROM refs WHERE from_id = ?')
    this.#insertRef = this.#db.prepare('INSERT OR IGNORE INTO refs (from_id, to_id) VALUES (?, ?)')
    this.#insertTransaction = this.#db.prepare('INSERT OR REPLACE INTO transactions (id, timestamp, document_count) VALUES (?, ?, ?)')
  }

  /** All documents, in `_id` order. */
  loadAll(): LakeDocument[] {
    const rows = this.#db.prepare('SELECT body FROM documents').all()
    const docs: LakeDocument[] = []
    for (const row of rows) {
      const body = row.body
      if (typeof body === 'string') docs.push(JSON.parse(body) as LakeDocument)
    }
    return docs.sort((a, b) => compareIds(a._id, b._id))
  }

  /** Ids of documents referencing `id` (served by the refs index). */
  referencing(id: string): string[] {
    return this.#db
      .prepare('SELECT from_id FROM refs WHERE to_id = ? ORDER BY from_id')
      .all(id)
      .map((row) => String(row.from_id))
  }

  /** Writes one transaction atomically: all rows or none. */
  commit(
    transactionId: string,
    timestamp: string,
    writes: readonly DocumentWrite[],
    onProgress?: (written: number, total: number) => void,
  ): void {
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      let written = 0
      for (const {id, doc} of writes) {
        this.#deleteRefs.run(id)
        if (doc) {
          this.#upsert.run(id, doc._type, doc._rev, doc._createdAt, doc._updatedAt, JSON.stringify(doc))
          for (const to of collectRefs(doc)) this.#insertRef.run(id, to)
        } else {
          this.#delete.run(id)
        }
        written++
        if (onProgress && (written % 1000 === 0 || written === writes.length)) onProgress(written, writes.length)
      }
      this.#insertTransaction.run(transactionId, timestamp, writes.length)
      this.#db.exec('COMMIT')
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw error
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close()
  }
}
