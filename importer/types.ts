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

/** An image field as the import writes it: the uploaded asset and its alternative text. */
export interface ImageValue {
  _type: 'image'
  asset: Reference | {_type: 'reference'; _ref: string; _weak: true}
  alt: string
}

/** An image field in NDJSON for `sanity dataset import`, which uploads the file it names. */
export interface ImageFileValue {
  _type: 'image'
  /** `image@file:///absolute/path.jpg` */
  _sanityAsset: string
  alt: string
}

/** An image a facts file names for a document: the seed uploads it and sets the field. */
export interface ImageSource {
  /** The film (`poster`) or person (`image`) it belongs to. */
  documentId: string
  field: 'poster' | 'image'
  /** The local file: relative to the facts file in what `buildDocuments` returns, resolved by `loadReview`. */
  file: string
  alt: string
}

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
  /** Set by the seed from the facts' `poster` (never by `buildDocuments`). */
  poster?: ImageValue | ImageFileValue
}

export interface PersonDocument {
  _id: string
  _type: 'person'
  name: string
  slug: Slug
  aliases?: string[]
  /** Set by the seed from the facts' `people[].image` (never by `buildDocuments`). */
  image?: ImageValue | ImageFileValue
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
  /** Images the facts name for these documents (the poster, portraits of credited people), not yet in them. */
  images: ImageSource[]
}
