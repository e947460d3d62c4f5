import type {ImportedDocument} from './types'

/**
 * Idempotent writes: compare what the importer built with what is stored and only
 * write documents that are new or different, so re-running an import neither
 * bumps `_rev`/`_updatedAt` nor creates duplicates.
 */

export type SyncAction = 'create' | 'replace' | 'unchanged'

export interface SyncStep {
  id: string
  action: SyncAction
  document: ImportedDocument
}

/** The part of `@sanity/client` the write path needs; tests pass a fake. */
export interface DatasetClient {
  fetch<R>(query: string, params: Record<string, unknown>): Promise<R>
  transaction(): DatasetTransaction
}

export interface DatasetTransaction {
  createOrReplace(document: ImportedDocument): DatasetTransaction
  commit(): Promise<unknown>
}

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

/**
 * Deep equality that ignores key order and the server-managed top-level fields
 * (`_rev`, `_createdAt`, `_updatedAt` and any other `_`-prefixed system field
 * other than `_id` and `_type`, which the importer never sets).
 */
export function sameDocument(built: object, stored: object): boolean {
  return deepEqual(withoutSystemFields(built), withoutSystemFields(stored))
}

function withoutSystemFields(document: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(document).filter(([key]) => !key.startsWith('_') || key === '_id' || key === '_type'),
  )
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]))
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const aRecord = a as Record<string, Json>
  const bRecord = b as Record<string, Json>
  // An explicit `undefined` is the same as a missing field (JSON drops both).
  const aKeys = Object.keys(aRecord).filter((key) => aRecord[key] !== undefined)
  const bKeys = Object.keys(bRecord).filter((key) => bRecord[key] !== undefined)
  return aKeys.length === bKeys.length && aKeys.every((key) => Object.hasOwn(bRecord, key) && deepEqual(aRecord[key], bRecord[key]))
}

/** What writing `documents` over `stored` (the current versions, by id) would do. */
export function planSync(
  documents: readonly ImportedDocument[],
  stored: ReadonlyMap<string, object>,
): SyncStep[] {
  return documents.map((document) => {
    const current = stored.get(document._id)
    const action: SyncAction = current === undefined ? 'create' : sameDocument(document, current) ? 'unchanged' : 'replace'
    return {id: document._id, action, document}
  })
}

/** The stored versions of the given ids (published documents only). */
export async function fetchStored(client: DatasetClient, ids: readonly string[]): Promise<Map<string, object>> {
  const stored = await client.fetch<Array<{_id: string}>>('*[_id in $ids]', {ids: [...ids]})
  return new Map(stored.map((document) => [document._id, document]))
}

/**
 * Writes new and changed documents in one transaction (all or nothing) and returns
 * the plan. With nothing to change it commits nothing at all.
 */
export async function syncDocuments(
  client: DatasetClient,
  documents: readonly ImportedDocument[],
  options: {dryRun?: boolean} = {},
): Promise<SyncStep[]> {
  const plan = planSync(documents, await fetchStored(client, documents.map((document) => document._id)))
  const changes = plan.filter((step) => step.action !== 'unchanged')
  if (!options.dryRun && changes.length > 0) {
    const transaction = client.transaction()
    for (const step of changes) transaction.createOrReplace(step.document)
    await transaction.commit()
  }
  return plan
}
