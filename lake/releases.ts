import type {Dataset} from './dataset'
import {isRecord, type LakeDocument} from './documents'
import {LakeError} from './errors'
import type {LakeMutation} from './mutations'

/**
 * Content Releases on the lake, as Sanity's Content Lake keeps them: a release is a system
 * document `_.releases.<releaseId>` of type `system.release` (private: its id has a dot), and
 * its content is the version documents `versions.<releaseId>.<documentId>`. Each transition
 * here is one list of mutations that the caller stores as one transaction, so publishing a
 * release makes every version published at once, or none.
 *
 * States: `active` → `scheduled` (publishAt) → `published`; `active` → `archived` (versions
 * deleted, restorable from history by `unarchive`); published and archived releases can be
 * deleted. The lake's scheduler (lake/scheduler.ts) publishes scheduled releases when due.
 */

export const RELEASE_DOCUMENT_TYPE = 'system.release'
export const RELEASE_DOCUMENTS_PREFIX = '_.releases.'

export type ReleaseState = 'active' | 'scheduled' | 'published' | 'archived'

export interface ReleaseDocument extends LakeDocument {
  name: string
  state: ReleaseState
  metadata: Record<string, unknown> & {releaseType?: string; title?: string}
  publishAt?: string
  publishedAt?: string
  finalDocumentStates?: {id: string}[]
}

const RELEASE_ID = /^[A-Za-z0-9_-]{1,64}$/

export function releaseDocumentId(releaseId: string): string {
  return `${RELEASE_DOCUMENTS_PREFIX}${releaseId}`
}

export function assertReleaseId(releaseId: string): void {
  if (!RELEASE_ID.test(releaseId)) {
    throw new LakeError(400, 'validationError', `Release id "${releaseId}" is not valid: use 1-64 letters, digits, "_" or "-"`)
  }
}

export function isReleaseDocument(doc: LakeDocument | null | undefined): doc is ReleaseDocument {
  return doc?._type === RELEASE_DOCUMENT_TYPE && typeof doc.state === 'string'
}

/** The release named by `releaseId`; 404 when there is none. */
export function getRelease(dataset: Dataset, releaseId: string): ReleaseDocument {
  assertReleaseId(releaseId)
  const doc = dataset.getDocument(releaseDocumentId(releaseId))
  if (!isReleaseDocument(doc)) throw new LakeError(404, 'releaseNotFound', `There is no release "${releaseId}"`)
  return doc
}

/** The version documents of a release. */
export function releaseVersions(dataset: Dataset, releaseId: string): LakeDocument[] {
  return dataset.documentsWithPrefix(`versions.${releaseId}.`)
}

/** Every release document of the dataset. */
export function releases(dataset: Dataset): ReleaseDocument[] {
  return dataset.documentsWithPrefix(RELEASE_DOCUMENTS_PREFIX).filter(isReleaseDocument)
}

function requireState(release: ReleaseDocument, allowed: readonly ReleaseState[], doing: string): void {
  if (!allowed.includes(release.state)) {
    throw new LakeError(409, 'releaseStateError', `Cannot ${doing} release "${release.name}": it is ${release.state} (it must be ${allowed.join(' or ')})`)
  }
}

/** Whether a version marks its document for deletion when the release publishes (`sanity.action.document.version.unpublish`). */
export function marksUnpublish(doc: LakeDocument): boolean {
  return isRecord(doc._system) && doc._system.delete === true
}

/** A document's content without the fields the lake maintains or the version's own markers, stored under `id`. */
function contentAs(doc: LakeDocument, id: string): {_id: string; _type: string; [field: string]: unknown} {
  const {_rev: _r, _updatedAt: _u, _originalId: _o, _system: _s, ...rest} = doc
  return {...rest, _id: id, _type: doc._type}
}

export function createReleaseMutations(dataset: Dataset, releaseId: string, metadata: Record<string, unknown> = {}): LakeMutation[] {
  assertReleaseId(releaseId)
  const id = releaseDocumentId(releaseId)
  if (dataset.getDocument(id)) throw new LakeError(409, 'releaseAlreadyExistsError', `A release "${releaseId}" already exists`)
  return [{create: {_id: id, _type: RELEASE_DOCUMENT_TYPE, name: releaseId, state: 'active', metadata: {releaseType: 'undecided', ...metadata}}}]
}

type PatchOperations = Record<string, unknown>

/** Paths a patch names (`set`/`setIfMissing`/`inc`/`dec`/`diffMatchPatch` keys, `unset` entries, `insert` targets). */
function patchPaths(patch: PatchOperations): string[] {
  const paths: string[] = []
  for (const [operation, value] of Object.entries(patch)) {
    if (operation === 'unset' && Array.isArray(value)) paths.push(...value.map(String))
    else if (operation === 'insert' && isRecord(value)) {
      for (const key of ['before', 'after', 'replace']) if (typeof value[key] === 'string') paths.push(value[key])
    } else if (isRecord(value)) paths.push(...Object.keys(value))
    else paths.push(operation)
  }
  return paths
}

/** `sanity.action.release.edit`: patches the release's metadata (its state is the lake's to change). */
export function editReleaseMutations(dataset: Dataset, releaseId: string, patch: PatchOperations): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, ['active', 'scheduled'], 'edit')
  const outside = patchPaths(patch).filter((path) => path !== 'metadata' && !path.startsWith('metadata.') && !path.startsWith('metadata['))
  if (outside.length > 0) throw new LakeError(400, 'validationError', `A release edit may only change metadata, not ${outside.join(', ')}`)
  return [{patch: {...patch, id: release._id, ifRevisionID: release._rev}} as LakeMutation]
}

/**
 * Publishes every version of the release: each `versions.<release>.<id>` becomes `<id>` (or
 * deletes `<id>` when the version marks it for unpublishing) and is removed, and the release
 * becomes `published` with the list of what it published, all in one transaction guarded by
 * the revisions read here.
 */
export function publishReleaseMutations(dataset: Dataset, releaseId: string, now: Date, options: {scheduled?: boolean} = {}): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, options.scheduled ? ['scheduled'] : ['active', 'scheduled'], 'publish')
  const versions = releaseVersions(dataset, releaseId)
  const prefix = `versions.${releaseId}.`
  const mutations: LakeMutation[] = [{patch: {id: release._id, ifRevisionID: release._rev}}]
  for (const version of versions) {
    const publishedId = version._id.slice(prefix.length)
    const published = dataset.getDocument(publishedId)
    mutations.push({patch: {id: version._id, ifRevisionID: version._rev}})
    if (marksUnpublish(version)) {
      if (published) mutations.push({delete: {id: publishedId}})
    } else {
      mutations.push({createOrReplace: {...contentAs(version, publishedId), _createdAt: published?._createdAt ?? version._createdAt}})
    }
    mutations.push({delete: {id: version._id}})
  }
  mutations.push({
    patch: {
      id: release._id,
      set: {state: 'published', publishedAt: now.toISOString(), finalDocumentStates: versions.map((version) => ({id: version._id}))},
      unset: ['error'],
    },
  })
  return mutations
}

/** Archives an active release: its versions are deleted (their last states stay in history for `unarchive`). */
export function archiveReleaseMutations(dataset: Dataset, releaseId: string): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, ['active'], 'archive')
  const versions = releaseVersions(dataset, releaseId)
  return [
    {patch: {id: release._id, ifRevisionID: release._rev, set: {state: 'archived', finalDocumentStates: versions.map((version) => ({id: version._id}))}}},
    ...versions.map((version): LakeMutation => ({delete: {id: version._id}})),
  ]
}

/** Restores an archived release with its versions as they were just before archiving (from history). */
export function unarchiveReleaseMutations(dataset: Dataset, releaseId: string): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, ['archived'], 'unarchive')
  const mutations: LakeMutation[] = [{patch: {id: release._id, ifRevisionID: release._rev, set: {state: 'active'}, unset: ['finalDocumentStates']}}]
  for (const {id} of release.finalDocumentStates ?? []) {
    if (dataset.getDocument(id)) continue
    const last = dataset.history.lastKeptState(id)?.doc
    if (!last) throw new LakeError(409, 'releaseStateError', `Cannot unarchive release "${releaseId}": the history of ${id} is no longer kept`)
    mutations.push({create: {...contentAs(last, id), ...(marksUnpublish(last) ? {_system: last._system} : {})}})
  }
  return mutations
}

export function scheduleReleaseMutations(dataset: Dataset, releaseId: string, publishAt: string): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, ['active'], 'schedule')
  const time = new Date(publishAt)
  if (Number.isNaN(time.getTime())) throw new LakeError(400, 'validationError', `publishAt "${publishAt}" is not an ISO date-time`)
  return [{patch: {id: release._id, ifRevisionID: release._rev, set: {state: 'scheduled', publishAt: time.toISOString()}, unset: ['error']}}]
}

export function unscheduleReleaseMutations(dataset: Dataset, releaseId: string): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, ['scheduled'], 'unschedule')
  return [{patch: {id: release._id, ifRevisionID: release._rev, set: {state: 'active'}, unset: ['publishAt']}}]
}

/** Deletes a published or archived release (and any version still left in it). */
export function deleteReleaseMutations(dataset: Dataset, releaseId: string): LakeMutation[] {
  const release = getRelease(dataset, releaseId)
  requireState(release, ['archived', 'published'], 'delete')
  return [...releaseVersions(dataset, releaseId).map((version): LakeMutation => ({delete: {id: version._id}})), {delete: {id: release._id}}]
}

/** The release a version id belongs to (`versions.<release>.<id>`). */
export function releaseOfVersion(id: string): string | undefined {
  if (!id.startsWith('versions.')) return undefined
  return id.split('.')[1]
}

/**
 * Versions of a scheduled, published or archived release are locked, as in Sanity: only
 * active releases take edits. Ids that are not release versions pass.
 */
export function assertVersionWritable(dataset: Dataset, id: string): void {
  const releaseId = releaseOfVersion(id)
  if (releaseId === undefined) return
  const release = dataset.getDocument(releaseDocumentId(releaseId))
  if (!isReleaseDocument(release)) throw new LakeError(409, 'releaseNotFound', `Document "${id}" belongs to release "${releaseId}", which does not exist; create the release first`)
  if (release.state !== 'active') {
    throw new LakeError(409, 'releaseLocked', `Document "${id}" belongs to release "${releaseId}", which is ${release.state}; only active releases can change (unschedule it first)`)
  }
}
