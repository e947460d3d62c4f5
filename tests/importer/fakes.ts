import type {DatasetClient, DatasetTransaction, ImportedDocument} from '../../importer/index'
import {defaultDeps, type SeedDeps} from '../../scripts/seed'

/** Sorts keys recursively: the stored form need not keep the importer's key order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, child]) => [key, sortKeys(child)]),
    )
  }
  return value
}

/**
 * An in-memory dataset that behaves like the Content Lake for the importer: it
 * answers `*[_id in $ids]`, applies transactions atomically and adds `_rev`,
 * `_createdAt` and `_updatedAt` to what it stores.
 */
export class FakeDataset implements DatasetClient {
  readonly documents = new Map<string, Record<string, unknown>>()
  readonly commits: ImportedDocument[][] = []
  queries = 0
  private revision = 0

  async fetch<R>(query: string, params: Record<string, unknown>): Promise<R> {
    this.queries++
    if (query !== '*[_id in $ids]' || !Array.isArray(params.ids)) throw new Error(`unexpected query ${query}`)
    const ids: unknown[] = params.ids
    return [...this.documents.values()].filter((document) => ids.includes(document._id)) as R
  }

  transaction(): DatasetTransaction {
    const pending: ImportedDocument[] = []
    const transaction: DatasetTransaction = {
      createOrReplace: (document) => {
        pending.push(document)
        return transaction
      },
      commit: async () => {
        this.commits.push([...pending])
        const now = `2025-01-01T00:00:${String(this.revision).padStart(2, '0')}Z`
        for (const document of pending) {
          const previous = this.documents.get(document._id)
          this.documents.set(
            document._id,
            sortKeys({
              ...JSON.parse(JSON.stringify(document)),
              _rev: `rev${++this.revision}`,
              _createdAt: previous?._createdAt ?? now,
              _updatedAt: now,
            }) as Record<string, unknown>,
          )
        }
        return {transactionId: `tx${this.commits.length}`}
      },
    }
    return transaction
  }
}

export interface Captured {
  deps: SeedDeps
  stdout: () => string
  stderr: () => string
  clientsCreated: () => number
}

/** Real file system, captured output, and the given dataset (or one that must not be used). */
export function testDeps(dataset?: DatasetClient, overrides: Partial<SeedDeps> = {}): Captured {
  let out = ''
  let err = ''
  let clients = 0
  const deps: SeedDeps = {
    ...defaultDeps(),
    target: () => ({kind: 'lake', projectId: 'local', dataset: 'test', token: 'test-token', apiHost: 'http://127.0.0.1:1'}),
    createClient: () => {
      clients++
      if (!dataset) throw new Error('this test must not contact a dataset')
      return dataset
    },
    stdout: (text) => {
      out += text
    },
    stderr: (text) => {
      err += text
    },
    ...overrides,
  }
  return {deps, stdout: () => out, stderr: () => err, clientsCreated: () => clients}
}
