import type {AssetUploadClient} from '../lib/asset-uploads'
import type {FilmDocument, ImportedDocument, PersonDocument, ReviewDocument} from './types'

/**
 * Idempotent writes: compare what the importer built with what is stored and only
 * write what is new or different, so re-running an import neither bumps `_rev` nor
 * creates duplicates. An import owns only the fields it writes: whatever editors add
 * (a poster, a bio, a rating) survives a re-import, and a person shared by several
 * films is never renamed by one of them (new spellings join its aliases).
 */

export type SyncAction = 'create' | 'replace' | 'unchanged'

export interface SyncStep {
  id: string
  action: SyncAction
  /** The document as it will be stored: the import's fields over the stored document. */
  document: ImportedDocument
  /** The stored revision a replacement builds on (the write fails if it changed meanwhile). */
  revision?: string
  /** Fields to set and unset on the stored document (for `replace`). */
  set?: Record<string, unknown>
  unset?: string[]
  /** An unpublished draft of this document exists; the import leaves it alone. */
  hasDraft: boolean
}

/** One mutation in Sanity's HTTP API shape (`/data/mutate`). */
export type Mutation =
  | {create: ImportedDocument | {_id: string; _type: string; [field: string]: unknown}}
  | {createIfNotExists: ImportedDocument | {_id: string; _type: string; [field: string]: unknown}}
  | {patch: {id: string; ifRevisionID?: string; set?: Record<string, unknown>; unset?: string[]}}
  | {delete: {id: string}}

/** The part of `@sanity/client` the write path needs; tests pass a fake. */
export interface DatasetClient extends AssetUploadClient {
  /** Must see drafts (the `raw` perspective). */
  fetch<R>(query: string, params: Record<string, unknown>): Promise<R>
  /** Applies the mutations in one transaction: all or nothing. */
  mutate(mutations: readonly Mutation[]): Promise<void>
}

/** What is stored for a set of ids: published documents, and which of them have drafts. */
export interface StoredState {
  documents: ReadonlyMap<string, StoredDocument>
  drafts: ReadonlySet<string>
}

export type StoredDocument = {_id: string; _rev?: string} & Record<string, unknown>

type Fields<T> = Exclude<keyof T, '_id' | '_type'>

/** The fields an import writes, per type. Every other field belongs to editors. */
export const IMPORTED_FIELDS = {
  film: [
    'title',
    'originalTitle',
    'slug',
    'releaseYear',
    'productionYear',
    'logline',
    'genres',
    'runtimeMinutes',
    'countries',
    'languages',
    'crew',
    'cast',
  ],
  person: ['name', 'slug', 'aliases'],
  review: ['title', 'slug', 'film', 'kind', 'publishedOn', 'updatedOn', 'containsSpoilers', 'intro', 'sections'],
} as const satisfies {film: readonly Fields<FilmDocument>[]; person: readonly Fields<PersonDocument>[]; review: readonly Fields<ReviewDocument>[]}

/**
 * Image fields an import writes only when the facts name an image: with one, the import owns the
 * field (an editor's crop and hotspot on the same asset are kept); without one, the stored value
 * (an editor's poster or portrait) stays.
 */
export const IMAGE_FIELDS = {film: ['poster'], person: ['image'], review: []} as const satisfies {
  film: readonly Fields<FilmDocument>[]
  person: readonly Fields<PersonDocument>[]
  review: readonly Fields<ReviewDocument>[]
}

// Compile-time check that no field of the document types is missing from the lists above.
type Missing<T, Listed> = Exclude<Fields<T>, Listed>
const everyFieldListed: [
  Missing<FilmDocument, (typeof IMPORTED_FIELDS.film)[number] | (typeof IMAGE_FIELDS.film)[number]>,
  Missing<PersonDocument, (typeof IMPORTED_FIELDS.person)[number] | (typeof IMAGE_FIELDS.person)[number]>,
  Missing<ReviewDocument, (typeof IMPORTED_FIELDS.review)[number]>,
] extends [never, never, never]
  ? true
  : false = true
void everyFieldListed

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

export function deepEqual(a: unknown, b: unknown): boolean {
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

/**
 * What the import should leave stored: for a film or review, the import's fields over
 * the stored document (an imported field the text no longer has is removed); for a
 * person, the stored document with any new spellings added to its aliases.
 */
export function mergeWithStored(built: ImportedDocument, stored: StoredDocument): ImportedDocument {
  const kept = withoutSystemFields(stored)
  const images = imagesOver(built, kept)
  if (built._type === 'person') {
    const name = typeof kept.name === 'string' ? kept.name : built.name
    const storedAliases = Array.isArray(kept.aliases) ? kept.aliases.filter((alias): alias is string => typeof alias === 'string') : []
    const aliases = [...storedAliases]
    for (const spelling of [built.name, ...(built.aliases ?? [])]) {
      if (spelling !== name && !aliases.includes(spelling)) aliases.push(spelling)
    }
    const {aliases: _storedAliases, ...rest} = kept
    const merged = {...rest, name, slug: kept.slug ?? built.slug, ...(aliases.length ? {aliases} : {}), ...images, _id: built._id, _type: 'person'}
    return merged as unknown as PersonDocument
  }
  const owned = new Set<string>(IMPORTED_FIELDS[built._type])
  const editorFields = Object.fromEntries(Object.entries(kept).filter(([key]) => !owned.has(key)))
  return {...editorFields, ...built, ...images} as unknown as ImportedDocument
}

/** The image fields the import sets, each over a stored value of the same asset (keeping its crop and hotspot). */
function imagesOver(built: ImportedDocument, kept: Record<string, unknown>): Record<string, unknown> {
  const fields: readonly string[] = IMAGE_FIELDS[built._type]
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const value = (built as unknown as Record<string, unknown>)[field]
    if (!isRecord(value)) continue
    const stored = kept[field]
    const sameAsset = isRecord(stored) && isRecord(stored.asset) && isRecord(value.asset) && stored.asset._ref === value.asset._ref
    out[field] = sameAsset ? {...stored, ...value} : value
  }
  return out
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * What writing `documents` over `stored` would do, document by document. A map of
 * documents (an existing NDJSON file) is compared as it is: a file is rewritten whole.
 */
export function planSync(documents: readonly ImportedDocument[], stored: StoredState | ReadonlyMap<string, object>): SyncStep[] {
  if (stored instanceof Map) {
    return documents.map((document): SyncStep => {
      const current: object | undefined = stored.get(document._id)
      const action: SyncAction = current === undefined ? 'create' : sameDocument(document, current) ? 'unchanged' : 'replace'
      return {id: document._id, action, document, hasDraft: false}
    })
  }
  const state = stored as StoredState
  return documents.map((built): SyncStep => {
    const current = state.documents.get(built._id)
    const hasDraft = state.drafts.has(built._id)
    if (current === undefined) return {id: built._id, action: 'create', document: built, hasDraft}
    const document = mergeWithStored(built, current)
    if (sameDocument(document, current)) return {id: built._id, action: 'unchanged', document, hasDraft}
    const set: Record<string, unknown> = {}
    const unset: string[] = []
    const fields = new Set([...Object.keys(withoutSystemFields(document)), ...Object.keys(withoutSystemFields(current))])
    for (const field of fields) {
      if (field === '_id' || field === '_type') continue
      const value = (document as unknown as Record<string, unknown>)[field]
      if (value === undefined) unset.push(field)
      else if (!deepEqual(value, current[field])) set[field] = value
    }
    return {
      id: built._id,
      action: 'replace',
      document,
      ...(typeof current._rev === 'string' ? {revision: current._rev} : {}),
      set,
      unset,
      hasDraft,
    }
  })
}

/** The mutations that carry out a plan: creates, and patches guarded by the stored revision. */
export function mutationsFor(plan: readonly SyncStep[]): Mutation[] {
  return plan.flatMap((step): Mutation[] => {
    if (step.action === 'create') return [{create: step.document}]
    if (step.action === 'unchanged') return []
    return [
      {
        patch: {
          id: step.id,
          ...(step.revision === undefined ? {} : {ifRevisionID: step.revision}),
          ...(step.set && Object.keys(step.set).length ? {set: step.set} : {}),
          ...(step.unset?.length ? {unset: step.unset} : {}),
        },
      },
    ]
  })
}

const STORED_QUERY = /* groq */ `{
  "documents": *[_id in $ids],
  "drafts": *[_id in $draftIds]._id
}`

/** The stored versions of the given ids and which of them have drafts, in one round trip. */
export async function fetchStored(client: DatasetClient, ids: readonly string[]): Promise<StoredState> {
  if (ids.length === 0) return {documents: new Map(), drafts: new Set()}
  const result = await client.fetch<{documents: StoredDocument[]; drafts: string[]}>(STORED_QUERY, {
    ids: [...ids],
    draftIds: ids.map((id) => `drafts.${id}`),
  })
  return {
    documents: new Map(result.documents.map((document) => [document._id, document])),
    drafts: new Set(result.drafts.map((id) => id.slice('drafts.'.length))),
  }
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
  const mutations = mutationsFor(plan)
  if (!options.dryRun && mutations.length > 0) await client.mutate(mutations)
  return plan
}
