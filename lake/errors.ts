/**
 * Errors the lake answers with. The JSON body follows Sanity's shape so that
 * `@sanity/client` builds a readable message from it (it reads `error.description`,
 * and for `mutationError` also the `items[].error.description` list).
 */
export interface LakeErrorItem {
  index: number
  error: {type: string; description: string; id?: string; [detail: string]: unknown}
}

export class LakeError extends Error {
  readonly statusCode: number
  readonly type: string
  readonly details: Record<string, unknown>

  constructor(statusCode: number, type: string, description: string, details: Record<string, unknown> = {}) {
    super(description)
    this.name = 'LakeError'
    this.statusCode = statusCode
    this.type = type
    this.details = details
  }

  toJSON(): {error: Record<string, unknown>; statusCode: number} {
    return {error: {...this.details, type: this.type, description: this.message}, statusCode: this.statusCode}
  }
}

/** A failed mutation: the whole transaction is rejected and nothing is stored. */
export function mutationError(
  statusCode: number,
  index: number,
  type: string,
  description: string,
  id?: string,
  details: Record<string, unknown> = {},
): LakeError {
  const item: LakeErrorItem = {index, error: {...details, type, description, ...(id === undefined ? {} : {id})}}
  // The client appends each item's description, so the summary stays short.
  return new LakeError(statusCode, 'mutationError', `Transaction failed at mutations[${index}]; nothing was stored`, {items: [item]})
}

export function isLakeError(error: unknown): error is LakeError {
  return error instanceof LakeError
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A query that ran out of its time budget (the pool at the deadline, or the worker noticing first). */
export function timedOut(ms: number): LakeError {
  return new LakeError(
    408,
    'queryTimeout',
    `The query took longer than the lake's time budget of ${ms} ms and was stopped; narrow it (filter on _type, slice the result) or start the lake with a larger --query-timeout`,
  )
}
