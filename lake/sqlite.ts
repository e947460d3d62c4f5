import {chmodSync, existsSync, writeFileSync} from 'node:fs'
import {DatabaseSync, type StatementSync} from 'node:sqlite'

import type {DocumentWrite} from './docset'
import {collectReferences, compareIds, type LakeDocument} from './documents'
import {HistoryLog} from './history'

export type {DocumentWrite} from './docset'

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    rev TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
  );
  -- Queries use the in-memory indexes (views.ts); an index by type here was never read and slowed every write.
  DROP INDEX IF EXISTS documents_by_type;
  CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY NOT NULL,
    timestamp TEXT NOT NULL,
    document_count INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS lake_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO lake_meta (key, value) VALUES ('seq', 0);
`

/**
 * References between documents: one row per (document, target, target dataset), `weak` 1
 * when every reference of that document to that target is `_weak: true`. `to_dataset` is ''
 * for references within the dataset and the dataset name of a cross-dataset reference.
 * Deletes check strong rows (reference integrity) and `/data/references` lists them.
 */
const REFS_SCHEMA = `
  CREATE TABLE refs (
    from_id TEXT NOT NULL,
    to_id TEXT NOT NULL,
    to_dataset TEXT NOT NULL,
    weak INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_dataset, to_id)
  ) WITHOUT ROWID;
  CREATE INDEX refs_by_target ON refs (to_id, to_dataset, from_id);
`

/** Files the lake writes are readable by their owner only (the folder is 0700 as well). */
export const PRIVATE_FILE_MODE = 0o600

/** Makes the SQLite file (and its -wal/-shm companions, if present) private before and after opening. */
function privateDatabaseFiles(path: string): void {
  // SQLite gives -wal and -shm the main file's mode, so the main file is created 0600 first.
  if (!existsSync(path)) writeFileSync(path, '', {mode: PRIVATE_FILE_MODE, flag: 'a'})
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE)
  }
}

export interface Referrer {
  from: string
  weak: boolean
}

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
  readonly #hasTransaction: StatementSync
  readonly #referrers: StatementSync
  readonly #bumpSeq: StatementSync
  readonly #body: StatementSync
  readonly #count: StatementSync
  /** Document history (lake/history.ts), written in the same SQLite transaction as the documents. */
  readonly history: HistoryLog
  #seq: number

  constructor(path: string) {
    this.path = path
    privateDatabaseFiles(path)
    this.#db = new DatabaseSync(path, {timeout: 5000})
    this.#db.exec('PRAGMA journal_mode = WAL')
    this.#db.exec('PRAGMA synchronous = FULL')
    // Large transactions (imports) keep their pages in memory instead of spilling early (32 MiB, only as used).
    this.#db.exec('PRAGMA cache_size = -32768')
    this.#db.exec(SCHEMA)
    this.#migrateDocumentsTable()
    this.#migrateRefs()
    this.history = new HistoryLog(this.#db)
    privateDatabaseFiles(path)
    // An update keeps the row where it is (REPLACE would delete it, insert it at a new rowid and move its id index entry).
    this.#upsert = this.#db.prepare(`
      INSERT INTO documents (id, type, rev, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET type = excluded.type, rev = excluded.rev, created_at = excluded.created_at, updated_at = excluded.updated_at, body = excluded.body`)
    this.#delete = this.#db.prepare('DELETE FROM documents WHERE id = ?')
    this.#deleteRefs = this.#db.prepare('DELETE FROM refs WHERE from_id = ?')
    this.#insertRef = this.#db.prepare('INSERT INTO refs (from_id, to_id, to_dataset, weak) VALUES (?, ?, ?, ?)')
    this.#insertTransaction = this.#db.prepare('INSERT INTO transactions (id, timestamp, document_count, seq, author) VALUES (?, ?, ?, ?, ?)')
    this.#hasTransaction = this.#db.prepare('SELECT 1 AS found FROM transactions WHERE id = ?')
    this.#referrers = this.#db.prepare('SELECT from_id, weak FROM refs WHERE to_id = ? AND to_dataset = ? ORDER BY from_id')
    this.#bumpSeq = this.#db.prepare("UPDATE lake_meta SET value = ? WHERE key = 'seq'")
    this.#body = this.#db.prepare('SELECT body FROM documents WHERE id = ?')
    this.#count = this.#db.prepare('SELECT count(*) AS n FROM documents')
    this.#seq = readSeq(this.#db)
  }

  /** Older files had refs without weakness or target dataset: rebuild the table from the documents. */
  #migrateRefs(): void {
    const columns = this.#db.prepare('PRAGMA table_info(refs)').all().map((row) => String(row.name))
    if (columns.includes('weak') && columns.includes('to_dataset')) return
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      this.#db.exec('DROP TABLE IF EXISTS refs')
      this.#db.exec(REFS_SCHEMA)
      const insert = this.#db.prepare('INSERT INTO refs (from_id, to_id, to_dataset, weak) VALUES (?, ?, ?, ?)')
      for (const row of this.#db.prepare('SELECT id, body FROM documents').iterate()) {
        for (const ref of collectReferences(JSON.parse(String(row.body)))) insert.run(String(row.id), ref.to, ref.dataset, ref.weak ? 1 : 0)
      }
      this.#db.exec('COMMIT')
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw error
    }
  }

  /** How many transactions this file has committed (the change feed's sequence number). */
  get seq(): number {
    return this.#seq
  }

  /** All documents, in `_id` order. */
  loadAll(): LakeDocument[] {
    return loadDocuments(this.#db)
  }

  /** The stored JSON of one document, if it exists. */
  body(id: string): string | undefined {
    const body = this.#body.get(id)?.body
    return typeof body === 'string' ? body : undefined
  }

  /** How many documents there are. */
  count(): number {
    return Number(this.#count.get()?.n ?? 0)
  }

  /** Documents whose id starts with `prefix`, in `_id` order (a range of the id index). */
  withPrefix(prefix: string): LakeDocument[] {
    return documentsWithPrefix(this.#db, prefix)
  }

  /** Documents referencing `id` (from this dataset, or with `dataset` set, cross-dataset references to that dataset). */
  referrers(id: string, dataset = ''): Referrer[] {
    return this.#referrers.all(id, dataset).map((row) => ({from: String(row.from_id), weak: Number(row.weak) === 1}))
  }

  hasTransaction(transactionId: string): boolean {
    return this.#hasTransaction.get(transactionId) !== undefined
  }

  /**
   * Writes one transaction atomically: all rows or none, its history included. `time` is the
   * transaction's time (ISO, milliseconds), `author` the user id that made it. Returns its
   * sequence number.
   */
  commit(
    transactionId: string,
    time: string,
    writes: readonly DocumentWrite[],
    author: string,
    onProgress?: (written: number, total: number) => void,
  ): number {
    const seq = this.#seq + 1
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      this.history.record(seq, writes)
      let written = 0
      for (const {id, doc, json, sameReferences} of writes) {
        // Rows of unchanged references stay: rewriting them dirties a page of refs_by_target per target, all written to the WAL.
        if (!sameReferences) this.#deleteRefs.run(id)
        if (doc) {
          this.#upsert.run(id, doc._type, doc._rev, doc._createdAt, doc._updatedAt, json ?? JSON.stringify(doc))
          if (!sameReferences) for (const ref of collectReferences(doc)) this.#insertRef.run(id, ref.to, ref.dataset, ref.weak ? 1 : 0)
        } else {
          this.#delete.run(id)
        }
        written++
        if (onProgress && (written % 1000 === 0 || written === writes.length)) onProgress(written, writes.length)
      }
      this.#insertTransaction.run(transactionId, time, writes.length, seq, author)
      this.#bumpSeq.run(seq)
      this.#db.exec('COMMIT')
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw error
    }
    this.#seq = seq
    return seq
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close()
  }

  /**
   * Data folders written before this version keep documents in a WITHOUT ROWID table, which
   * stores each (kilobytes long) body inside the primary-key B-tree and made a 100k-document
   * import take three times as long; they are copied into an ordinary table once, atomically.
   */
  #migrateDocumentsTable(): void {
    const row = this.#db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'").get()
    if (typeof row?.sql !== 'string' || !/WITHOUT\s+ROWID/i.test(row.sql)) return
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      this.#db.exec(`
        CREATE TABLE documents_rowid (
          id TEXT PRIMARY KEY NOT NULL,
          type TEXT NOT NULL,
          rev TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          body TEXT NOT NULL
        );
        INSERT INTO documents_rowid (id, type, rev, created_at, updated_at, body) SELECT id, type, rev, created_at, updated_at, body FROM documents;
        DROP TABLE documents;
        ALTER TABLE documents_rowid RENAME TO documents;
      `)
      this.#db.exec('COMMIT')
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw error
    }
  }
}

function readSeq(db: DatabaseSync): number {
  const row = db.prepare("SELECT value FROM lake_meta WHERE key = 'seq'").get()
  return row ? Number(row.value) : 0
}

function loadDocuments(db: DatabaseSync): LakeDocument[] {
  const docs: LakeDocument[] = []
  for (const row of db.prepare('SELECT body FROM documents').iterate()) {
    const body = row.body
    if (typeof body === 'string') docs.push(JSON.parse(body) as LakeDocument)
  }
  return docs.sort((a, b) => compareIds(a._id, b._id))
}

/**
 * Reads a consistent snapshot (documents and the sequence number they are at) through a
 * separate read-only connection: WAL lets it run beside the writer. Query workers load
 * their copy of a dataset this way.
 */
export function readSnapshot(path: string): {seq: number; docs: LakeDocument[]} {
  const db = new DatabaseSync(path, {readOnly: true, timeout: 5000})
  try {
    db.exec('BEGIN')
    try {
      const seq = readSeq(db)
      return {seq, docs: loadDocuments(db)}
    } finally {
      db.exec('COMMIT')
    }
  } finally {
    db.close()
  }
}

function documentsWithPrefix(db: DatabaseSync, prefix: string): LakeDocument[] {
  if (prefix === '') return loadDocuments(db)
  // Document ids are ASCII (isValidDocumentId): the range is exactly the prefix, and SQLite's byte order is JavaScript's.
  const end = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`
  return db
    .prepare('SELECT body FROM documents WHERE id >= ? AND id < ? ORDER BY id')
    .all(prefix, end)
    .map((row) => JSON.parse(String(row.body)) as LakeDocument)
}

/** Documents whose id starts with `prefix` in the dataset file at `path`, without opening the dataset. */
export function readWithPrefix(path: string, prefix: string): LakeDocument[] {
  const db = new DatabaseSync(path, {readOnly: true, timeout: 5000})
  try {
    return documentsWithPrefix(db, prefix)
  } finally {
    db.close()
  }
}

/** Referrers of `id` in the dataset file at `path` without opening the dataset (cross-dataset lookups). */
export function readReferrers(path: string, id: string, dataset: string): Referrer[] {
  const db = new DatabaseSync(path, {readOnly: true, timeout: 5000})
  try {
    const columns = db.prepare('PRAGMA table_info(refs)').all().map((row) => String(row.name))
    if (!columns.includes('to_dataset')) return []
    return db
      .prepare('SELECT from_id, weak FROM refs WHERE to_id = ? AND to_dataset = ? ORDER BY from_id')
      .all(id, dataset)
      .map((row) => ({from: String(row.from_id), weak: Number(row.weak) === 1}))
  } finally {
    db.close()
  }
}
