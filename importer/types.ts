import type {Country, CrewJob, Genre, Language, ReviewKind} from '../schemas/constants'

/** Document shapes the importer emits; field names match the project schemas. */

export interface Reference {
  _type: 'reference'
  _ref: string
}

export interface Slug {
  _type: 'slug'
  current: string
}

export interface MentionMarkDef {
  _type: 'mention'
  _key: string
  reference: Reference
}

export interface Span {
  _type: 'span'
  _key: string
  text: string
  marks: string[]
}

export interface TextBlock {
  _type: 'block'
  _key: string
  style: 'normal'
  markDefs: MentionMarkDef[]
  children: Span[]
}

export type PortableText = TextBlock[]

export interface CrewMember {
  _type: 'crewMember'
  _key: string
  person: Reference
  job: CrewJob
}

export interface CastMember {
  _type: 'castMember'
  _key: string
  person: Reference
  characterName?: string
  /** Only present (and `true`) for voice roles. */
  isVoice?: boolean
}

export interface FilmDocument {
  _id: string
  _type: 'film'
  title: string
  originalTitle?: string
  slug: Slug
  releaseYear: number
  productionYear?: number
  logline?: string
  genres: Genre[]
  runtimeMinutes?: number
  countries?: Country[]
  languages?: Language[]
  crew: CrewMember[]
  cast: CastMember[]
}

export interface PersonDocument {
  _id: string
  _type: 'person'
  name: string
  slug: Slug
  aliases?: string[]
}

export interface ReviewSection {
  _type: 'reviewSection'
  _key: string
  heading: string
  body: PortableText
}

export interface ReviewDocument {
  _id: string
  _type: 'review'
  title: string
  slug: Slug
  film: Reference
  kind: ReviewKind
  publishedOn: string
  updatedOn?: string
  containsSpoilers: boolean
  intro: PortableText
  sections: ReviewSection[]
}

export type ImportedDocument = FilmDocument | PersonDocument | ReviewDocument

export interface ImportResult {
  film: FilmDocument
  /** Sorted by `_id`. */
  people: PersonDocument[]
  review: ReviewDocument
  /** Every document in write order: people, then the film, then the review. */
  documents: ImportedDocument[]
}
