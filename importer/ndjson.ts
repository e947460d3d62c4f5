import type {ImportedDocument} from './types'

/**
 * One JSON document per line, as `sanity dataset import` reads it. Key order
 * comes from the builders, so the same input always gives the same bytes.
 */
export function toNdjson(documents: readonly ImportedDocument[] | readonly object[]): string {
  return documents.map((document) => JSON.stringify(document)).join('\n') + (documents.length ? '\n' : '')
}
