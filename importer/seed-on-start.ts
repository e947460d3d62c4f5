import {AssetUploads} from '../lib/asset-uploads'
import {Combined} from './combine'
import {ImportError} from './errors'
import {loadReview, reviewFilesIn, type ReviewFiles} from './files'
import {attachImages} from './images'
import type {DatasetClient, Mutation} from './sync'
import type {ImageSource, ImportedDocument} from './types'

/**
 * Seeding on `npm start`: import what has never been seeded, and nothing else. Every
 * document the seed ever created is listed in a private record document, so a
 * document an editor changed, unpublished (a draft remains) or deleted stays as the
 * editor left it on every later start. Re-importing on purpose is `npm run seed`.
 * Images the facts name are uploaded for the documents created now, never for those left alone.
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
  /** Image assets uploaded for the documents created now (an image already there is reused). */
  uploaded: string[]
}

const PRESENT_QUERY = /* groq */ `{
  "present": *[_id in $ids || _id in $draftIds]._id,
  "versions": *[_id in path("versions.**")]._id,
  "record": *[_id == $recordId][0]{_rev, ids}
}`

/**
 * Creates the documents that were never seeded and are not there, in one transaction, with the
 * images the facts name for them (`images`, read through `files`).
 */
export async function seedMissing(
  client: DatasetClient,
  documents: readonly ImportedDocument[],
  withImages?: {images: readonly ImageSource[]; files: Pick<ReviewFiles, 'readFile'>},
): Promise<SeedOnStartReport> {
  const ids = documents.map((document) => document._id)
  const found = await client.fetch<{present: string[]; versions: string[]; record: {_rev: string; ids?: string[]} | null}>(PRESENT_QUERY, {
    ids,
    draftIds: ids.map((id) => `drafts.${id}`),
    recordId: SEED_RECORD_ID,
  })
  // "drafts.x" and "versions.<release>.x" both stand for x.
  const present = new Set([...found.present, ...found.versions].map((id) => id.replace(/^(?:drafts\.|versions\.[^.]+\.)/, '')))
  const seededBefore = new Set(found.record?.ids ?? [])
  const report: SeedOnStartReport = {created: [], kept: [], deleted: [], uploaded: []}
  const missing: ImportedDocument[] = []
  for (const document of documents) {
    if (present.has(document._id)) report.kept.push(document._id)
    else if (seededBefore.has(document._id)) report.deleted.push(document._id)
    else {
      report.created.push(document._id)
      missing.push(document)
    }
  }
  const uploads = new AssetUploads(client)
  const created = withImages && missing.length ? (await attachImages(missing, withImages.images, {uploads, files: withImages.files})).documents : missing
  report.uploaded = [...uploads.uploaded]
  // createIfNotExists: never replaces, even if someone created the id a moment ago.
  const mutations: Mutation[] = created.map((document) => ({createIfNotExists: document}))
  const recorded = [...new Set([...seededBefore, ...ids])].sort()
  if (found.record === null || recorded.length !== seededBefore.size) {
    const record = {_id: SEED_RECORD_ID, _type: SEED_RECORD_TYPE, ids: recorded}
    mutations.push(
      found.record === null
        ? {create: record}
        : {patch: {id: SEED_RECORD_ID, ifRevisionID: found.record._rev, set: {ids: recorded}}},
    )
  }
  if (mutations.length > 0) {
    try {
      await client.mutate(mutations)
    } catch (error) {
      // Nothing was created: the images uploaded for it go too (best effort; the error is what matters).
      await uploads.discard().catch(() => undefined)
      throw error
    }
  }
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
  return seedMissing(options.client, documents, {images: combined.imagesOf(documents), files: options.files})
}

/** One line for the start log. */
export function describeSeedReport(report: SeedOnStartReport): string {
  const parts = [
    `${report.created.length} created`,
    `${report.kept.length} already there, left as they are`,
    ...(report.uploaded.length ? [`${report.uploaded.length} image${report.uploaded.length === 1 ? '' : 's'} uploaded`] : []),
    ...(report.deleted.length ? [`${report.deleted.length} deleted since an earlier start, not brought back (npm run seed re-imports them)`] : []),
  ]
  return `Seed: ${parts.join('; ')}.`
}
