import {Combined} from './combine'
import {ImportError} from './errors'
import {loadReview, reviewFilesIn, type ReviewFiles} from './files'
import type {DatasetClient, Mutation} from './sync'
import type {ImportedDocument} from './types'

/**
 * Seeding on `npm start`: import what has never been seeded, and nothing else. Every
 * document the seed ever created is listed in a private record document, so a
 * document an editor changed, unpublished (a draft remains) or deleted stays as the
 * editor left it on every later start. Re-importing on purpose is `npm run seed`.
 */

/** A dotted id keeps the record private: anonymous readers cannot query it. */
export const SEED_RECORD_ID = 'importer.seeded'
export const SEED_RECORD_TYPE = 'importer.seedRecord'

export interface SeedOnStartReport {
  /** Created now. */
  created: string[]
  /** Already there (published, as a draft or in a release), left as it is. */
  kept: string[]
  /** Seeded on an earlier start and since deleted by someone: not brought back. */
  deleted: string[]
}

const PRESENT_QUERY = /* groq */ `{
  "present": *[_id in $ids || _id in $draftIds]._id,
  "versions": *[_id in path("versions.**")]._id,
  "record": *[_id == $recordId][0]{_rev, ids}
}`

/** Creates the documents that were never seeded and are not there, in one transaction. */
export async function seedMissing(client: DatasetClient, documents: readonly ImportedDocument[]): Promise<SeedOnStartReport> {
  const ids = documents.map((document) => document._id)
  const found = await client.fetch<{present: string[]; versions: string[]; record: {_rev: string; ids?: string[]} | null}>(PRESENT_QUERY, {
    ids,
    draftIds: ids.map((id) => `drafts.${id}`),
    recordId: SEED_RECORD_ID,
  })
  // "drafts.x" and "versions.<release>.x" both stand for x.
  const present = new Set([...found.present, ...found.versions].map((id) => id.replace(/^(?:drafts\.|versions\.[^.]+\.)/, '')))
  const seededBefore = new Set(found.record?.ids ?? [])
  const report: SeedOnStartReport = {created: [], kept: [], deleted: []}
  const mutations: Mutation[] = []
  for (const document of documents) {
    if (present.has(document._id)) report.kept.push(document._id)
    else if (seededBefore.has(document._id)) report.deleted.push(document._id)
    else {
      report.created.push(document._id)
      // createIfNotExists: never replaces, even if someone created the id a moment ago.
      mutations.push({createIfNotExists: document})
    }
  }
  const recorded = [...new Set([...seededBefore, ...ids])].sort()
  if (found.record === null || recorded.length !== seededBefore.size) {
    const record = {_id: SEED_RECORD_ID, _type: SEED_RECORD_TYPE, ids: recorded}
    mutations.push(
      found.record === null
        ? {create: record}
        : {patch: {id: SEED_RECORD_ID, ifRevisionID: found.record._rev, set: {ids: recorded}}},
    )
  }
  if (mutations.length > 0) await client.mutate(mutations)
  return report
}

/**
 * Seeds every review in `dir` (the project's `seed/` folder) with `seedMissing`.
 * A review that does not import is an error: the seed folder is the project's own.
 */
export async function seedOnStart(options: {dir: string; files: ReviewFiles; client: DatasetClient}): Promise<SeedOnStartReport> {
  const combined = new Combined()
  for (const fileName of await reviewFilesIn(options.dir, options.files)) {
    const loaded = await loadReview(fileName, options.files)
    combined.add(loaded.result, fileName)
  }
  const documents = combined.documents()
  if (documents.length === 0) throw new ImportError('no review files (*.txt) to seed', {fileName: options.dir})
  return seedMissing(options.client, documents)
}

/** One line for the start log. */
export function describeSeedReport(report: SeedOnStartReport): string {
  const parts = [
    `${report.created.length} created`,
    `${report.kept.length} already there, left as they are`,
    ...(report.deleted.length ? [`${report.deleted.length} deleted since an earlier start, not brought back (npm run seed re-imports them)`] : []),
  ]
  return `Seed: ${parts.join('; ')}.`
}
