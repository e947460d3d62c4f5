/**
 * Review importer: plain-text user reviews → Sanity documents (film, people,
 * review). Reuse `parseReview` and the id helpers from other import scripts so
 * every source follows the same id and slug conventions.
 */
import {buildDocuments} from './build'
import type {FilmFacts} from './facts'
import {parseReview} from './parse'
import type {ImportResult} from './types'

export {buildDocuments} from './build'
export {ImportError} from './errors'
export {filmFactsSchema, parseFacts, type FilmFacts} from './facts'
export {filmId, filmSlug, keyFor, personId, personSlug, reviewId, reviewSlug, slugify} from './ids'
export {toNdjson} from './ndjson'
export {
  creditsIn,
  decodeReviewText,
  looksLikeHeading,
  parseDate,
  parseReview,
  warnsOfSpoilers,
  type ParsedParagraph,
  type ParsedReview,
  type ParsedSection,
  type TextCredit,
} from './parse'
export {blockTexts, findMentions, paragraphBlock, type NameSpelling} from './portable-text'
export {
  fetchStored,
  planSync,
  sameDocument,
  syncDocuments,
  type DatasetClient,
  type DatasetTransaction,
  type SyncAction,
  type SyncStep,
} from './sync'
export type * from './types'

/** Parses a review and builds its documents; throws `ImportError` on malformed input. */
export function importReview(text: string, options: {fileName?: string; facts?: FilmFacts} = {}): ImportResult {
  return buildDocuments(parseReview(text, {fileName: options.fileName}), options.facts)
}
