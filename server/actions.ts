import {randomBytes} from 'node:crypto'

import {z} from 'zod'

import {type Dataset, type LakeDocument, LakeError, type LakeMutation, type MutationResultItem} from '../lake'
import {
  archiveReleaseMutations,
  assertVersionWritable,
  createReleaseMutations,
  deleteReleaseMutations,
  editReleaseMutations,
  publishReleaseMutations,
  scheduleReleaseMutations,
  unarchiveReleaseMutations,
  unscheduleReleaseMutations,
} from '../lake/releases'

/**
 * Sanity's Actions API (`POST /data/actions/<dataset>`), which the Studio uses for
 * every write to drafts, release versions and releases, and for publishing. Each action
 * becomes plain mutations; all actions of a request are stored as one lake transaction (all
 * or nothing). Release transitions are lake/releases.ts (the lake's scheduler publishes with
 * the same code).
 */

const patchOps = z.record(z.string(), z.unknown())
const id = z.string().min(1)

const actionSchema = z.discriminatedUnion('actionType', [
  z.object({
    actionType: z.literal('sanity.action.document.create'),
    publishedId: id,
    attributes: z.looseObject({_id: id.optional(), _type: z.string().min(1)}),
    ifExists: z.enum(['fail', 'ignore']).default('fail'),
  }),
  z.object({
    actionType: z.literal('sanity.action.document.replaceDraft'),
    publishedId: id,
    draftId: id.optional(),
    attributes: z.looseObject({_id: id.optional(), _type: z.string().min(1)}),
  }),
  z.object({actionType: z.literal('sanity.action.document.edit'), draftId: id, publishedId: id, patch: patchOps}),
  z.object({
    actionType: z.literal('sanity.action.document.publish'),
    draftId: id,
    publishedId: id,
    ifDraftRevisionId: z.string().optional(),
    ifPublishedRevisionId: z.string().optional(),
  }),
  z.object({actionType: z.literal('sanity.action.document.unpublish'), draftId: id, publishedId: id}),
  z.object({actionType: z.literal('sanity.action.document.discard'), draftId: id, purge: z.boolean().optional()}),
  z.object({
    actionType: z.literal('sanity.action.document.delete'),
    publishedId: id,
    includeDrafts: z.array(id).optional(),
    purge: z.boolean().optional(),
  }),
  z.object({actionType: z.literal('sanity.action.document.version.discard'), versionId: id, purge: z.boolean().optional()}),
  // Either from a whole document, or from a base document (`baseId`) into `versionId`.
  z.object({
    actionType: z.literal('sanity.action.document.version.create'),
    publishedId: id,
    document: z.looseObject({_id: id, _type: z.string().min(1)}).optional(),
    baseId: id.optional(),
    versionId: id.optional(),
    ifBaseRevisionId: z.string().optional(),
  }),
  z.object({actionType: z.literal('sanity.action.document.version.replace'), document: z.looseObject({_id: id, _type: z.string().min(1)})}),
  z.object({actionType: z.literal('sanity.action.document.version.unpublish'), versionId: id, publishedId: id}),
  z.object({actionType: z.literal('sanity.action.release.create'), releaseId: id, metadata: z.record(z.string(), z.unknown()).optional()}),
  z.object({actionType: z.literal('sanity.action.release.edit'), releaseId: id, patch: patchOps}),
  z.object({actionType: z.literal('sanity.action.release.publish'), releaseId: id}),
  z.object({actionType: z.literal('sanity.action.release.archive'), releaseId: id}),
  z.object({actionType: z.literal('sanity.action.release.unarchive'), releaseId: id}),
  z.object({actionType: z.literal('sanity.action.release.schedule'), releaseId: id, publishAt: z.string().min(1)}),
  z.object({actionType: z.literal('sanity.action.release.unschedule'), releaseId: id}),
  z.object({actionType: z.literal('sanity.action.release.delete'), releaseId: id}),
])

export type DocumentAction = z.infer<typeof actionSchema>

const requestSchema = z.object({
  actions: z.array(z.unknown()).min(1, 'actions must not be empty'),
  transactionId: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  skipCrossDatasetReferenceValidation: z.boolean().optional(),
})

export interface ActionsRequest {
  actions: DocumentAction[]
  transactionId: string | undefined
  dryRun: boolean
}

export function parseActionsRequest(body: unknown): ActionsRequest {
  const parsed = requestSchema.safeParse(body)
  if (!parsed.success) {
    throw new LakeError(400, 'invalidRequest', `Invalid actions request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`)
  }
  const actions = parsed.data.actions.map((raw, index) => {
    const action = actionSchema.safeParse(raw)
    if (action.success) return action.data
    const type = typeof raw === 'object' && raw !== null && 'actionType' in raw ? String(raw.actionType) : 'unknown'
    const known = SUPPORTED_ACTIONS.join(', ')
    throw new LakeError(400, 'validationError', `actions[${index}] (${type}) is not supported by the local lake or is malformed: ${action.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Supported: ${known}`)
  })
  return {actions, transactionId: parsed.data.transactionId, dryRun: parsed.data.dryRun ?? false}
}

const SUPPORTED_ACTIONS = actionSchema.options.map((option) => option.shape.actionType.value)

type Lookup = (documentId: string) => LakeDocument | undefined

/** What an action may read: documents as earlier actions of the request left them, the dataset, and the time. */
export interface ActionContext {
  get: Lookup
  dataset: Dataset
  now: Date
}

function isVersionOf(versionId: string, publishedId: string): boolean {
  return versionId === `drafts.${publishedId}` || (versionId.startsWith('versions.') && versionId.split('.').slice(2).join('.') === publishedId)
}

function requireVersionOf(versionId: string, publishedId: string): void {
  if (!isVersionOf(versionId, publishedId)) {
    throw new LakeError(400, 'validationError', `"${versionId}" is not a draft or release version of "${publishedId}" (expected drafts.${publishedId} or versions.<release>.${publishedId})`)
  }
}

/** A document's content without the fields the lake maintains, ready to be stored under another id. */
function contentOf(doc: LakeDocument, newId: string): {_id: string; _type: string; [field: string]: unknown} {
  const {_rev: _r, _updatedAt: _u, _originalId: _o, ...rest} = doc
  return {...rest, _id: newId, _type: doc._type}
}

function conflict(message: string): LakeError {
  return new LakeError(409, 'documentRevisionIDDoesNotMatchError', message)
}

/** The mutations that carry out one action, given the documents as they stand before it. */
export function mutationsFor(action: DocumentAction, context: ActionContext): LakeMutation[] {
  const {get, dataset} = context
  switch (action.actionType) {
    case 'sanity.action.document.create': {
      const targetId = action.attributes._id ?? `drafts.${action.publishedId}`
      const body = {...action.attributes, _id: targetId}
      return [action.ifExists === 'ignore' ? {createIfNotExists: body} : {create: body}]
    }
    case 'sanity.action.document.replaceDraft': {
      const targetId = action.attributes._id ?? action.draftId ?? `drafts.${action.publishedId}`
      return [{createOrReplace: {...action.attributes, _id: targetId}}]
    }
    case 'sanity.action.document.edit': {
      assertVersionWritable(dataset, action.draftId)
      const draft = get(action.draftId)
      const published = get(action.publishedId)
      const out: LakeMutation[] = []
      if (!draft) {
        if (!published) throw new LakeError(404, 'documentNotFoundError', `Cannot edit "${action.publishedId}": it has neither a draft nor a published version`)
        // First edit of a published document: the draft starts as a copy of it.
        out.push({createIfNotExists: contentOf(published, action.draftId)})
      }
      out.push({patch: {...action.patch, id: action.draftId}} as LakeMutation)
      return out
    }
    case 'sanity.action.document.publish': {
      const draft = get(action.draftId)
      if (!draft) throw new LakeError(409, 'documentNotFoundError', `Cannot publish "${action.publishedId}": there is no draft "${action.draftId}"`)
      if (action.ifDraftRevisionId !== undefined && draft._rev !== action.ifDraftRevisionId) {
        throw conflict(`The draft of "${action.publishedId}" changed (revision ${draft._rev}, expected ${action.ifDraftRevisionId}); publish again`)
      }
      const published = get(action.publishedId)
      if (action.ifPublishedRevisionId !== undefined && published?._rev !== action.ifPublishedRevisionId) {
        throw conflict(`The published "${action.publishedId}" changed (revision ${published?._rev ?? 'none'}, expected ${action.ifPublishedRevisionId}); publish again`)
      }
      // The revision guards make the read above and the write atomic even if another transaction slipped in.
      const out: LakeMutation[] = [{patch: {id: action.draftId, ifRevisionID: draft._rev}}]
      if (published) out.push({patch: {id: action.publishedId, ifRevisionID: published._rev}})
      out.push({createOrReplace: {...contentOf(draft, action.publishedId), _createdAt: published?._createdAt ?? draft._createdAt}})
      out.push({delete: {id: action.draftId}})
      return out
    }
    case 'sanity.action.document.unpublish': {
      const published = get(action.publishedId)
      if (!published) throw new LakeError(409, 'documentNotFoundError', `Cannot unpublish "${action.publishedId}": it is not published`)
      return [
        {patch: {id: action.publishedId, ifRevisionID: published._rev}},
        {createIfNotExists: contentOf(published, action.draftId)},
        {delete: {id: action.publishedId}},
      ]
    }
    case 'sanity.action.document.discard':
      if (!get(action.draftId)) throw new LakeError(409, 'documentNotFoundError', `Cannot discard "${action.draftId}": there is no such draft`)
      return [{delete: {id: action.draftId}}]
    case 'sanity.action.document.delete': {
      const ids = [action.publishedId, `drafts.${action.publishedId}`, ...(action.includeDrafts ?? [])]
      return [...new Set(ids)].filter((docId) => get(docId)).map((docId) => ({delete: {id: docId}}))
    }
    case 'sanity.action.document.version.discard':
      assertVersionWritable(dataset, action.versionId)
      if (!get(action.versionId)) throw new LakeError(409, 'documentNotFoundError', `Cannot discard "${action.versionId}": there is no such version`)
      return [{delete: {id: action.versionId}}]
    case 'sanity.action.document.version.create': {
      if (action.document) {
        requireVersionOf(action.document._id, action.publishedId)
        assertVersionWritable(dataset, action.document._id)
        return [{create: action.document}]
      }
      if (action.baseId === undefined || action.versionId === undefined) {
        throw new LakeError(400, 'validationError', 'sanity.action.document.version.create needs either "document", or "baseId" and "versionId"')
      }
      requireVersionOf(action.versionId, action.publishedId)
      assertVersionWritable(dataset, action.versionId)
      const base = get(action.baseId)
      if (!base) throw new LakeError(404, 'documentNotFoundError', `Cannot create "${action.versionId}" from "${action.baseId}": there is no such document`)
      if (action.ifBaseRevisionId !== undefined && base._rev !== action.ifBaseRevisionId) {
        throw conflict(`"${action.baseId}" changed (revision ${base._rev}, expected ${action.ifBaseRevisionId}); create the version again`)
      }
      const {_system: _s, ...content} = contentOf(base, action.versionId)
      return [{patch: {id: action.baseId, ifRevisionID: base._rev}}, {create: content}]
    }
    case 'sanity.action.document.version.replace': {
      const versionId = action.document._id
      if (!versionId.startsWith('drafts.') && !versionId.startsWith('versions.')) throw new LakeError(400, 'validationError', `"${versionId}" is not a draft or release version id`)
      assertVersionWritable(dataset, versionId)
      if (!get(versionId)) throw new LakeError(409, 'documentNotFoundError', `Cannot replace "${versionId}": there is no such version (create it first)`)
      return [{createOrReplace: action.document}]
    }
    case 'sanity.action.document.version.unpublish': {
      // Marks the version so that publishing its release deletes the published document.
      requireVersionOf(action.versionId, action.publishedId)
      assertVersionWritable(dataset, action.versionId)
      const published = get(action.publishedId)
      if (!published) throw new LakeError(409, 'documentNotFoundError', `Cannot unpublish "${action.publishedId}" with a release: it is not published`)
      const version = get(action.versionId) ?? published
      const system = typeof version._system === 'object' && version._system !== null ? version._system : {}
      return [{createOrReplace: {...contentOf(version, action.versionId), _system: {...system, delete: true}}}]
    }
    case 'sanity.action.release.create':
      return createReleaseMutations(dataset, action.releaseId, action.metadata)
    case 'sanity.action.release.edit':
      return editReleaseMutations(dataset, action.releaseId, action.patch)
    case 'sanity.action.release.publish':
      return publishReleaseMutations(dataset, action.releaseId, context.now)
    case 'sanity.action.release.archive':
      return archiveReleaseMutations(dataset, action.releaseId)
    case 'sanity.action.release.unarchive':
      return unarchiveReleaseMutations(dataset, action.releaseId)
    case 'sanity.action.release.schedule':
      return scheduleReleaseMutations(dataset, action.releaseId, action.publishAt)
    case 'sanity.action.release.unschedule':
      return unscheduleReleaseMutations(dataset, action.releaseId)
    case 'sanity.action.release.delete':
      return deleteReleaseMutations(dataset, action.releaseId)
  }
}

/** Runs the actions as one transaction. Returns the transaction id (a generated one if the request had none). */
export async function runActions(dataset: Dataset, request: ActionsRequest, identity: string): Promise<{transactionId: string}> {
  // Dry runs use the final id too, so revisions they produce match the real transaction's.
  const transactionId = request.transactionId ?? randomBytes(16).toString('hex')
  const overlay = new Map<string, LakeDocument | null>()
  const get: Lookup = (docId) => (overlay.has(docId) ? (overlay.get(docId) ?? undefined) : dataset.getDocument(docId))
  const mutations: LakeMutation[] = []
  const now = new Date()
  for (const [index, action] of request.actions.entries()) {
    mutations.push(...mutationsFor(action, {get, dataset, now}))
    if (index < request.actions.length - 1 && mutations.length > 0) {
      // Later actions must see what earlier ones did (e.g. create, then publish).
      const dry = await dataset.transaction(mutations, {transactionId, dryRun: true})
      overlay.clear()
      for (const item of dry.results) overlay.set(item.id, stateAfter(item))
    }
  }
  if (mutations.length === 0) throw new LakeError(409, 'noChanges', 'The actions change nothing (the documents do not exist)')
  const result = await dataset.transaction(mutations, {
    transactionId,
    dryRun: request.dryRun,
    identity,
  })
  return {transactionId: result.transactionId}
}

function stateAfter(item: MutationResultItem): LakeDocument | null {
  return item.operation === 'delete' ? null : (item.document ?? null)
}
