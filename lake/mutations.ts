import {z} from 'zod'

import {isValidDocumentId} from './documents'
import {LakeError} from './errors'

const idMessage =
  'must be 1-128 characters of letters, digits, ".", "_" or "-", not starting with "-" (end it with "." to get a generated id under that prefix)'

const documentId = z.string().refine((id) => isValidDocumentId(id), {message: `invalid document id: ${idMessage}`})
/** `create` also accepts a missing id, or a prefix ending in `.`, and generates one (as Sanity does). */
const createId = z
  .string()
  .refine((id) => isValidDocumentId(id) || (id.endsWith('.') && isValidDocumentId(id.slice(0, -1))), {
    message: `invalid document id: ${idMessage}`,
  })

const fields = z.record(z.string(), z.unknown())
const typeField = z.string({error: 'every document needs a string _type'}).min(1, 'the _type must not be empty')

const createBody = z.looseObject({_id: createId.optional(), _type: typeField})
const identifiedBody = z.looseObject({_id: documentId, _type: typeField})

const idSelection = z.union([documentId, z.array(documentId).min(1)])
const querySelection = {query: z.string().min(1), params: fields.optional()}

const deleteBody = z.union([
  z.strictObject({id: idSelection}),
  z.strictObject(querySelection),
])

const insertBody = z.union([
  z.strictObject({before: z.string().min(1), items: z.array(z.unknown())}),
  z.strictObject({after: z.string().min(1), items: z.array(z.unknown())}),
  z.strictObject({replace: z.string().min(1), items: z.array(z.unknown())}),
])

const patchBody = z
  .strictObject({
    id: idSelection.optional(),
    query: querySelection.query.optional(),
    params: querySelection.params,
    ifRevisionID: z.string().min(1).optional(),
    set: fields.optional(),
    setIfMissing: fields.optional(),
    unset: z.array(z.string().min(1)).optional(),
    inc: z.record(z.string(), z.number()).optional(),
    dec: z.record(z.string(), z.number()).optional(),
    diffMatchPatch: z.record(z.string(), z.string()).optional(),
    insert: insertBody.optional(),
  })
  .refine((patch) => (patch.id === undefined) !== (patch.query === undefined), {
    message: 'a patch needs exactly one of "id" or "query" to select documents',
  })

const schemas = {
  create: createBody,
  createOrReplace: identifiedBody,
  createIfNotExists: identifiedBody,
  delete: deleteBody,
  patch: patchBody,
} as const

export type MutationKind = keyof typeof schemas
export type CreateBody = z.infer<typeof createBody>
export type IdentifiedBody = z.infer<typeof identifiedBody>
export type DeleteBody = z.infer<typeof deleteBody>
export type PatchBody = z.infer<typeof patchBody>
export type Selection = DeleteBody

export type LakeMutation =
  | {create: CreateBody}
  | {createOrReplace: IdentifiedBody}
  | {createIfNotExists: IdentifiedBody}
  | {delete: DeleteBody}
  | {patch: PatchBody}

const kinds = Object.keys(schemas) as MutationKind[]

function isKind(key: string): key is MutationKind {
  return (kinds as string[]).includes(key)
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('')
}

/**
 * Validates a list of mutations as sent to `/data/mutate`. Throws a 400 naming the
 * mutation index and field, e.g. `mutations[2].patch.inc.count: expected number`.
 */
export function parseMutations(input: unknown): LakeMutation[] {
  if (!Array.isArray(input)) {
    throw new LakeError(400, 'validationError', 'The request body needs "mutations": an array of mutation objects, e.g. {"mutations": [{"create": {"_type": "film"}}]}')
  }
  return input.map((raw: unknown, index) => parseMutation(raw, index))
}

function parseMutation(raw: unknown, index: number): LakeMutation {
  const where = `mutations[${index}]`
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(index, `${where} must be an object with one of: ${kinds.join(', ')}`)
  }
  const keys = Object.keys(raw)
  const [key] = keys
  if (keys.length !== 1 || key === undefined || !isKind(key)) {
    throw invalid(index, `${where} must have exactly one of ${kinds.join(', ')} (got ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'no keys'})`)
  }
  const result = schemas[key].safeParse((raw as Record<string, unknown>)[key])
  if (!result.success) {
    const issue = result.error.issues[0]
    const path = `${where}.${key}${issue ? formatPath(issue.path) : ''}`
    throw invalid(index, `${path}: ${issue?.message ?? 'invalid mutation'}`)
  }
  return {[key]: result.data} as LakeMutation
}

function invalid(index: number, description: string): LakeError {
  return new LakeError(400, 'mutationError', `Invalid mutation at mutations[${index}]; nothing was stored`, {
    items: [{index, error: {type: 'validationError', description}}],
  })
}

/** The kind of a validated mutation and its body, for exhaustive switching. */
export function describeMutation(mutation: LakeMutation):
  | {kind: 'create'; body: CreateBody}
  | {kind: 'createOrReplace'; body: IdentifiedBody}
  | {kind: 'createIfNotExists'; body: IdentifiedBody}
  | {kind: 'delete'; body: DeleteBody}
  | {kind: 'patch'; body: PatchBody} {
  if ('create' in mutation) return {kind: 'create', body: mutation.create}
  if ('createOrReplace' in mutation) return {kind: 'createOrReplace', body: mutation.createOrReplace}
  if ('createIfNotExists' in mutation) return {kind: 'createIfNotExists', body: mutation.createIfNotExists}
  if ('delete' in mutation) return {kind: 'delete', body: mutation.delete}
  return {kind: 'patch', body: mutation.patch}
}
