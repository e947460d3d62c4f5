/**
 * Advice for a failed request to the backend (the local lake or a hosted project), shared by the
 * seed, import and export commands. Every write there is one atomic transaction, so a failure
 * means nothing of it was stored.
 */
import type {SanityTarget} from './env'

/** How commands name where they read or write: "local lake local, dataset production" or "project abc123, dataset production". */
export function describeTarget(target: SanityTarget): string {
  return `${target.kind === 'lake' ? 'local lake' : 'project'} ${target.projectId}, dataset ${target.dataset}`
}

export interface BackendErrorWording {
  /** What to run again, e.g. "the seed". */
  rerun: string
  /** What was not written, e.g. "this review"; without it, "Nothing was written." */
  unit?: string
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'])

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') break
    const code = 'code' in current ? current.code : undefined
    if (typeof code === 'string') return code
    current = 'cause' in current ? current.cause : undefined
  }
  return undefined
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number'
    ? error.statusCode
    : undefined
}

function isUnreachable(error: unknown): boolean {
  const code = errorCode(error)
  const message = error instanceof Error ? error.message : String(error)
  return (code !== undefined && UNREACHABLE_CODES.has(code)) || /ECONNREFUSED|fetch failed|socket hang up/i.test(message)
}

export function isFatalBackendError(error: unknown): boolean {
  const status = statusCode(error)
  return isUnreachable(error) || status === 401 || status === 403
}

/** Turns client failures into advice; each transaction is atomic, so nothing of it was written. */
export function describeBackendError(error: unknown, target: SanityTarget, wording: BackendErrorWording): string {
  const message = error instanceof Error ? error.message : String(error)
  const nothing = wording.unit ? `Nothing of ${wording.unit} was written.` : 'Nothing was written.'
  const code = errorCode(error)
  const host = target.kind === 'lake' ? target.apiHost : (target.apiHost ?? 'https://api.sanity.io')
  if (isUnreachable(error)) {
    return target.kind === 'lake'
      ? `cannot reach the local lake at ${host} (${code ?? message}). Start it with "npm run lake" (or "npm start" for the lake and the Studio), then run ${wording.rerun} again. ${nothing}`
      : `cannot reach ${host} for project ${target.projectId} (${code ?? message}). Check the network and SANITY_API_HOST. ${nothing}`
  }
  const status = statusCode(error)
  if (status === 401 || status === 403) {
    return target.kind === 'lake'
      ? `the local lake at ${host} refused the request (${status}: ${message}). The token comes from .lake/token, written when the lake first starts ("npm run lake"), or from SANITY_API_WRITE_TOKEN. ${nothing}`
      : `project ${target.projectId} refused the request (${status}: ${message}). SANITY_API_WRITE_TOKEN must be a token with write access to dataset ${target.dataset}. ${nothing}`
  }
  if (status === 409 && /already exists/i.test(message)) {
    return `a document already exists in dataset ${target.dataset} (${message}). ${nothing}`
  }
  if (status === 409) {
    return `a document changed in dataset ${target.dataset} while this import ran (${message}). Run ${wording.rerun} again. ${nothing}`
  }
  return `writing to dataset ${target.dataset} failed: ${message}. ${nothing}`
}

