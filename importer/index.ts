/**
 * Review importer: plain-text user reviews → Sanity documents (film, people,
 * review). Reuse `parseReview` and the id helpers from other import scripts so
 * every source follows the same id and slug conventions.
 */
import {buildDocuments} from './build'
import {parseOptionsFrom, type FilmFacts} from './facts'
import {parseReview} from './parse'
import type {ImportResult} from './types'

export {buildDocuments} from './build'
export {ImportError} from './errors'
export {DATE_FORMS, parseDate} from './dates'
export {filmFactsSchema, IMAGE_FILE_EXTENSIONS, parseFacts, parseOptionsFrom, type FilmFacts, type ImageFact} from './facts'
export {attachImages, imagesFor, withImageFiles, type ImageStep} from './images'
export {DEFAULT_LABELS, DETAIL_TARGETS, LabelMatcher, type DetailTarget} from './labels'
export {filmId, filmSlug, keyFor, personId, personSlug, reviewId, reviewSlug, slugify} from './ids'
export {toNdjson} from './ndjson'
export {
  decodeReviewText,
  looksLikeHeading,
  MAX_REVIEW_TITLE,
  parseReview,
  readFilmLine,
  type ParsedDetails,
  type ParsedParagraph,
  type ParsedReview,
  type ParsedSection,
  type ParseOptions,
  type Place,
  type ReviewOverrides,
} from './parse'
export {creditsIn, warnsOfSpoilers, type ProseOptions, type TextCredit} from './prose'
export {blockTexts, findMentions, paragraphBlock, type NameSpelling} from './portable-text'
export {
  fetchStored,
  IMAGE_FIELDS,
  IMPORTED_FIELDS,
  mergeWithStored,
  mutationsFor,
  planSync,
  sameDocument,
  syncDocuments,
  type DatasetClient,
  type Mutation,
  type StoredDocument,
  type StoredState,
  type SyncAction,
  type SyncStep,
} from './sync'
export {Combined} from './combine'
export type * from './types'

/**
 * Parses a review and builds its documents; throws `ImportError` on malformed input.
 * `facts` (the film's curated facts) enrich the documents and may override layout rules.
 */
export function importReview(
  text: string,
  options: {fileName?: string; facts?: FilmFacts; factsFile?: string} = {},
): ImportResult {
  const parsed = parseReview(text, {
    ...parseOptionsFrom(options.facts, options.factsFile),
    ...(options.fileName === undefined ? {} : {fileName: options.fileName}),
  })
  return buildDocuments(parsed, options.facts)
}
