import type {DatabaseSync, StatementSync} from 'node:sqlite'

import type {LakeDocument} from './documents'

/**
 * Document history, stored in the dataset's SQLite file next to the documents. The
 * `transactions` table is the log: one row per committed transaction with its id, time
 * (millisecond precision), author and sequence number. `document_history` records which
 * documents each transaction touched and what it left behind:
 *
 * - one small row per (document, transaction), `deleted` = 1 when the transaction deleted it;
 * - `document_history_body` holds the document as that transaction wrote it, stored when a
 *   later transaction replaces it. While a state is current, the document's row in
 *   `documents` holds it, so writing never stores a document twice (an import of 100,000
 *   documents adds 100,000 small rows, not another copy of the dataset). Keeping the bodies
 *   apart keeps the rows history walks through small and close together.
 *
 * Every revision of a document can be rebuilt from one row, and a transaction's effects
 * are the difference between each document's state before and after it (lake/mendoza.ts).
 * Retention removes what is older than the configured window (`prune`).
 */

export interface TransactionRecord {
  id: string
  seq: number
  /** ISO time with milliseconds. */
  timestamp: string
  /** The user id that made it (the Studio's user, or the lake token's robot user). */
  author: string
}

export interface DocumentState {
  /** The transaction that wrote this state. */
  seq: number
  /** The document as of that transaction; null when the transaction deleted it. */
  doc: LakeDocument | null
}

/** Which state a document was in, without its content: the transaction that wrote it, and whether that was a deletion. */
export interface StateMark {
  seq: number
  deleted: boolean
}

export interface TransactionRange {
  /** Inclusive bounds on the sequence number. */
  fromSeq?: number
  toSeq?: number
  /** Inclusive bounds on the transaction time (ISO). */
  fromTime?: string
  toTime?: string
  authors?: readonly string[]
  /** Newest first. */
  reverse?: boolean
  limit?: number
}

/** The robot user of writes made with the lake token (scripts, imports, `@sanity/client`). */
export const LAKE_TOKEN_USER_ID = 'lake-token'

const HISTORY_SCHEMA = `
  CREATE TABLE IF NOT EXISTS document_history (
    doc_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    PRIMARY KEY (doc_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS document_history_by_seq ON document_history (seq, doc_id);
  CREATE TABLE IF NOT EXISTS document_history_body (
    doc_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (doc_id, seq)
  );
`

/** ISO time with milliseconds, comparable as text (`2025-01-02T03:04:05.678Z`). */
export function historyTime(value: string | Date): string | undefined {
  const date = typeof value === 'string' ? new Date(value) : value
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/**
 * The history tables of one dataset file, written inside its commit transaction and read by
 * the history API. Uses the file's own connection (node:sqlite is synchronous; every read is
 * a handful of index lookups).
 */
export class HistoryLog {
  readonly #db: DatabaseSync
  readonly #supersede: StatementSync
  readonly #insert: StatementSync
  readonly #txBySeq: StatementSync
  readonly #txById: StatementSync
  readonly #stateAtTime: StatementSync
  readonly #lastKept: StatementSync
  readonly #currentBody: StatementSync
  readonly #txDocuments: StatementSync
  readonly #oldest: StatementSync
  readonly #versionsDeleted: StatementSync
  readonly #markAt: StatementSync
  readonly #markBefore: StatementSync
  readonly #body: StatementSync

  constructor(db: DatabaseSync) {
    this.#db = db
    this.#migrate()
    // The state being replaced (the newest, if it is not a deletion) keeps its body.
    this.#supersede = db.prepare(`
      INSERT OR IGNORE INTO document_history_body (doc_id, seq, body)
      SELECT h.doc_id, h.seq, d.body FROM document_history h JOIN documents d ON d.id = h.doc_id
      WHERE h.doc_id = ?1 AND h.deleted = 0 AND h.seq = (SELECT max(seq) FROM document_history WHERE doc_id = ?1)`)
    this.#insert = db.prepare('INSERT OR REPLACE INTO document_history (doc_id, seq, deleted) VALUES (?, ?, ?)')
    this.#txBySeq = db.prepare('SELECT id, seq, timestamp, author FROM transactions WHERE seq = ?')
    this.#txById = db.prepare('SELECT id, seq, timestamp, author FROM transactions WHERE id = ?')
    this.#stateAtTime = db.prepare(`
      SELECT h.seq AS seq, h.deleted AS deleted FROM document_history h JOIN transactions t ON t.seq = h.seq
      WHERE h.doc_id = ? AND t.timestamp <= ? ORDER BY h.seq DESC LIMIT 1`)
    this.#lastKept = db.prepare('SELECT seq, deleted FROM document_history WHERE doc_id = ? AND deleted = 0 ORDER BY seq DESC LIMIT 1')
    this.#body = db.prepare('SELECT body FROM document_history_body WHERE doc_id = ? AND seq = ?')
    this.#currentBody = db.prepare('SELECT body FROM documents WHERE id = ?')
    this.#txDocuments = db.prepare('SELECT doc_id, deleted FROM document_history WHERE seq = ? ORDER BY doc_id')
    // Release versions only: a range of the (seq, doc_id) index, whatever else the transaction wrote.
    this.#versionsDeleted = db.prepare("SELECT doc_id FROM document_history WHERE seq = ? AND doc_id >= 'versions.' AND doc_id < 'versions/' AND deleted = 1")
    this.#markAt = db.prepare('SELECT seq, deleted FROM document_history WHERE doc_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1')
    this.#markBefore = db.prepare('SELECT seq, deleted FROM document_history WHERE doc_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1')
    this.#oldest = db.prepare('SELECT min(seq) AS seq FROM transactions WHERE seq IS NOT NULL')
  }

  /**
   * Files written before history existed: the transactions table gains its sequence number
   * (rows were inserted in commit order) and author, and every current document gets a row
   * for the transaction that wrote it, so its present state is where its history starts.
   */
  #migrate(): void {
    const columns = this.#db.prepare('PRAGMA table_info(transactions)').all().map((row) => String(row.name))
    const missing = !columns.includes('seq') || !columns.includes('author')
    const hasTable = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'document_history'").get() !== undefined
    if (!missing && hasTable) return
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      if (!columns.includes('seq')) {
        this.#db.exec('ALTER TABLE transactions ADD COLUMN seq INTEGER')
        this.#db.exec('UPDATE transactions SET seq = rowid')
        // Older rows have second precision; history compares times as text, with milliseconds.
        this.#db.exec(`UPDATE transactions SET timestamp = substr(timestamp, 1, 19) || '.000Z' WHERE length(timestamp) = 20`)
      }
      if (!columns.includes('author')) this.#db.exec(`ALTER TABLE transactions ADD COLUMN author TEXT NOT NULL DEFAULT '${LAKE_TOKEN_USER_ID}'`)
      this.#db.exec('CREATE UNIQUE INDEX IF NOT EXISTS transactions_by_seq ON transactions (seq)')
      this.#db.exec(HISTORY_SCHEMA)
      if (!hasTable) {
        this.#db.exec(`
          INSERT OR IGNORE INTO document_history (doc_id, seq, deleted)
          SELECT d.id, t.seq, 0 FROM documents d JOIN transactions t ON t.id = d.rev`)
      }
      this.#db.exec('COMMIT')
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw error
    }
  }

  /**
   * Records a transaction's document writes; runs inside the commit's SQLite transaction,
   * before the `documents` rows change (a replaced state's body moves into its history row).
   */
  record(seq: number, writes: readonly {id: string; doc: LakeDocument | null}[]): void {
    for (const {id, doc} of writes) {
      this.#supersede.run(id)
      this.#insert.run(id, seq, doc ? 0 : 1)
    }
  }

  transactionBySeq(seq: number): TransactionRecord | undefined {
    return toTransaction(this.#txBySeq.get(seq))
  }

  transactionById(id: string): TransactionRecord | undefined {
    return toTransaction(this.#txById.get(id))
  }

  /** The document as of transaction `seq` (the latest state written at or before it); undefined before its history starts. */
  stateAt(docId: string, seq: number): DocumentState | undefined {
    return this.#state(docId, this.markAt(docId, seq))
  }

  /** Like `stateAt` without reading the document: which transaction's state it is, and whether it is a deletion. */
  markAt(docId: string, seq: number): StateMark | undefined {
    return toMark(this.#markAt.get(docId, seq))
  }

  /** Like `stateBefore` without reading the document. */
  markBefore(docId: string, seq: number): StateMark | undefined {
    return toMark(this.#markBefore.get(docId, seq))
  }

  /** The state transaction `seq` left the document in (a mark from `markAt`/`markBefore`). */
  stateOf(docId: string, mark: StateMark): DocumentState | undefined {
    return this.#state(docId, mark)
  }

  /** The document just before transaction `seq`. */
  stateBefore(docId: string, seq: number): DocumentState | undefined {
    return this.#state(docId, this.markBefore(docId, seq))
  }

  /** The document as of a time (ISO): the latest state written by a transaction at or before it. */
  stateAtTime(docId: string, time: string): DocumentState | undefined {
    return this.#state(docId, toMark(this.#stateAtTime.get(docId, time)))
  }

  /** The current document, or the last state before it was deleted. */
  lastKeptState(docId: string): DocumentState | undefined {
    return this.#state(docId, toMark(this.#lastKept.get(docId)))
  }

  #state(docId: string, mark: StateMark | undefined): DocumentState | undefined {
    if (!mark) return undefined
    if (mark.deleted) return {seq: mark.seq, doc: null}
    // No stored body: the state is current, and `documents` holds it.
    const body = this.#body.get(docId, mark.seq)?.body ?? this.#currentBody.get(docId)?.body
    return typeof body === 'string' ? {seq: mark.seq, doc: JSON.parse(body) as LakeDocument} : undefined
  }

  /** The documents transaction `seq` touched, with whether it deleted them. */
  transactionDocuments(seq: number): {id: string; deleted: boolean}[] {
    return this.#txDocuments.all(seq).map((row) => ({id: String(row.doc_id), deleted: Number(row.deleted) === 1}))
  }

  /** Release versions (`versions.<release>.<id>`) that transaction `seq` deleted. */
  versionsDeletedIn(seq: number): string[] {
    return this.#versionsDeleted.all(seq).map((row) => String(row.doc_id))
  }

  /** Transactions that touched any of `docIds`, oldest first (newest first with `reverse`). */
  transactionsOf(docIds: readonly string[], range: TransactionRange = {}): TransactionRecord[] {
    if (docIds.length === 0) return []
    const where = [`h.doc_id IN (${docIds.map(() => '?').join(', ')})`]
    const params: (string | number)[] = [...docIds]
    const bounds: [string, string | number | undefined][] = [
      ['h.seq >= ?', range.fromSeq],
      ['h.seq <= ?', range.toSeq],
      ['t.timestamp >= ?', range.fromTime],
      ['t.timestamp <= ?', range.toTime],
    ]
    for (const [condition, value] of bounds) {
      if (value === undefined) continue
      where.push(condition)
      params.push(value)
    }
    if (range.authors && range.authors.length > 0) {
      where.push(`t.author IN (${range.authors.map(() => '?').join(', ')})`)
      params.push(...range.authors)
    }
    const limit = range.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(range.limit))}`
    const sql = `SELECT DISTINCT t.id AS id, t.seq AS seq, t.timestamp AS timestamp, t.author AS author
      FROM document_history h JOIN transactions t ON t.seq = h.seq
      WHERE ${where.join(' AND ')} ORDER BY h.seq ${range.reverse ? 'DESC' : 'ASC'}${limit}`
    return this.#db
      .prepare(sql)
      .all(...params)
      .map((row) => toTransaction(row))
      .filter((tx): tx is TransactionRecord => tx !== undefined)
  }

  /** The sequence number of the oldest transaction kept (history starts there). */
  oldestSeq(): number | undefined {
    const value = this.#oldest.get()?.seq
    return value === null || value === undefined ? undefined : Number(value)
  }

  /**
   * Retention: forgets transactions older than `cutoff` (ISO time). Each document keeps the
   * state it had at the cutoff (so its history still starts from a known state), except
   * documents that were deleted before it, which are gone. Transaction rows stay as long as a
   * kept state refers to them (a document's current `_rev` always names a known transaction,
   * which is what keeps a reused transaction id from matching an old revision).
   * Returns how many transactions were forgotten.
   */
  prune(cutoff: string): number {
    const boundary = this.#db.prepare('SELECT max(seq) AS seq FROM transactions WHERE timestamp < ?').get(cutoff)?.seq
    if (boundary === null || boundary === undefined) return 0
    const seq = Number(boundary)
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      // States older than a newer state that is itself before the cutoff.
      this.#db
        .prepare(`DELETE FROM document_history WHERE seq < ?1 AND EXISTS (
          SELECT 1 FROM document_history newer WHERE newer.doc_id = document_history.doc_id AND newer.seq > document_history.seq AND newer.seq <= ?1)`)
        .run(seq)
      // Deletions before the cutoff: the document is gone from history too.
      this.#db.prepare('DELETE FROM document_history WHERE seq <= ? AND deleted = 1').run(seq)
      this.#db
        .prepare(`DELETE FROM document_history_body WHERE seq <= ? AND NOT EXISTS (
          SELECT 1 FROM document_history h WHERE h.doc_id = document_history_body.doc_id AND h.seq = document_history_body.seq)`)
        .run(seq)
      const removed = this.#db
        .prepare('DELETE FROM transactions WHERE seq <= ? AND NOT EXISTS (SELECT 1 FROM document_history h WHERE h.seq = transactions.seq)')
        .run(seq)
      this.#db.exec('COMMIT')
      return Number(removed.changes)
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
      throw error
    }
  }
}

function toMark(row: Record<string, unknown> | undefined): StateMark | undefined {
  return row ? {seq: Number(row.seq), deleted: Number(row.deleted) === 1} : undefined
}

function toTransaction(row: Record<string, unknown> | undefined): TransactionRecord | undefined {
  if (!row) return undefined
  return {id: String(row.id), seq: Number(row.seq), timestamp: String(row.timestamp), author: String(row.author)}
}
