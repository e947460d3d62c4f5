import type {CrewJob} from '../schemas/constants'
import {ImportError} from './errors'
import {checkFactsMatch, type FilmFacts, type ImageFact} from './facts'
import {filmId, filmSlug, keyFor, personId, personSlug, reviewId, reviewSlug} from './ids'
import type {ParsedReview} from './parse'
import {paragraphBlock, type NameSpelling} from './portable-text'
import type {
  CastMember,
  CrewMember,
  FilmDocument,
  ImageSource,
  ImportResult,
  PersonDocument,
  ReviewDocument,
  ReviewSection,
} from './types'

/** Logline length the film schema allows. */
const MAX_LOGLINE = 300

interface PersonEntry {
  id: string
  name: string
  aliases: string[]
}

/** Resolves any spelling to one canonical person, collecting the spellings seen. */
class People {
  private readonly canonical = new Map<string, string>()
  private readonly knownAliases = new Map<string, string[]>()
  private readonly portraits = new Map<string, ImageFact>()
  readonly used = new Map<string, PersonEntry>()

  constructor(facts: FilmFacts | undefined) {
    for (const person of facts?.people ?? []) {
      this.canonical.set(normalize(person.name), person.name)
      for (const alias of person.aliases ?? []) this.canonical.set(normalize(alias), person.name)
      this.knownAliases.set(person.name, [...(person.aliases ?? [])])
      if (person.image) this.portraits.set(person.name, person.image)
    }
  }

  /** The person's id; `spelling` is kept as an alias when it differs from the canonical name. */
  resolve(spelling: string): string {
    const name = this.canonical.get(normalize(spelling)) ?? spelling
    const id = personId(name)
    let entry = this.used.get(id)
    if (!entry) {
      entry = {id, name, aliases: [...(this.knownAliases.get(name) ?? [])]}
      this.used.set(id, entry)
    }
    if (spelling !== entry.name && !entry.aliases.includes(spelling)) entry.aliases.push(spelling)
    return id
  }

  documents(): PersonDocument[] {
    return [...this.used.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((entry) => ({
        _id: entry.id,
        _type: 'person',
        name: entry.name,
        slug: {_type: 'slug', current: personSlug(entry.name)},
        ...(entry.aliases.length > 0 ? {aliases: entry.aliases} : {}),
      }))
  }

  /** Portraits the facts name for the people this review credits. */
  images(): ImageSource[] {
    return [...this.used.values()].flatMap((entry): ImageSource[] => {
      const image = this.portraits.get(entry.name)
      return image ? [{documentId: entry.id, field: 'image', file: image.file, alt: image.alt}] : []
    })
  }

  spellings(): NameSpelling[] {
    return [...this.used.values()].flatMap((entry) =>
      [entry.name, ...entry.aliases].map((text) => ({text, personId: entry.id})),
    )
  }
}

function normalize(name: string): string {
  return name.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase()
}

interface CastDraft {
  personId: string
  characterName: string | undefined
  isVoice: boolean
}

/**
 * Billing order: metadata actors, then people credited in the text (in reading
 * order), then people only the facts know about.
 */
function assembleCast(parsed: ParsedReview, facts: FilmFacts | undefined, people: People): CastDraft[] {
  const cast: CastDraft[] = []
  for (const actor of parsed.details.cast) {
    const id = people.resolve(actor.name)
    if (!cast.some((entry) => entry.personId === id)) cast.push({personId: id, characterName: undefined, isVoice: actor.isVoice})
  }
  for (const credit of parsed.textCredits) {
    const id = people.resolve(credit.actor)
    const own = cast.filter((entry) => entry.personId === id)
    const same = own.find(
      (entry) => entry.characterName === undefined || credit.characterName === undefined || entry.characterName === credit.characterName,
    )
    if (same) {
      same.characterName ??= credit.characterName
      same.isVoice ||= credit.isVoice
    } else {
      cast.push({personId: id, characterName: credit.characterName, isVoice: credit.isVoice})
    }
  }
  for (const credit of facts?.cast ?? []) {
    const id = people.resolve(credit.person)
    const own = cast.filter((entry) => entry.personId === id)
    // Same character, else an unnamed one, else the only credit: facts correct it.
    const target =
      own.find((entry) => credit.characterName !== undefined && entry.characterName === credit.characterName) ??
      own.find((entry) => entry.characterName === undefined) ??
      (own.length === 1 ? own[0] : undefined)
    if (target) {
      if (credit.characterName !== undefined) target.characterName = credit.characterName
      if (credit.isVoice !== undefined) target.isVoice = credit.isVoice
    } else {
      cast.push({personId: id, characterName: credit.characterName, isVoice: credit.isVoice ?? false})
    }
  }
  return cast
}

function assembleCrew(parsed: ParsedReview, facts: FilmFacts | undefined, people: People): Array<{personId: string; job: CrewJob}> {
  const crew: Array<{personId: string; job: CrewJob}> = []
  const add = (name: string, job: CrewJob) => {
    const id = people.resolve(name)
    if (!crew.some((entry) => entry.personId === id && entry.job === job)) crew.push({personId: id, job})
  }
  for (const credit of parsed.details.crew) add(credit.name, credit.job)
  for (const credit of facts?.crew ?? []) add(credit.person, credit.job)
  return crew
}

/** The text's items, then the facts' items it lacks. */
function merged<T>(fromText: readonly T[], fromFacts: readonly T[] | undefined): T[] {
  const items = [...fromText]
  for (const item of fromFacts ?? []) if (!items.includes(item)) items.push(item)
  return items
}

/** Turns a parsed review (plus optional curated facts) into film, people and review documents. */
export function buildDocuments(parsed: ParsedReview, facts?: FilmFacts): ImportResult {
  if (facts) checkFactsMatch(facts, parsed, parsed.fileName)
  const people = new People(facts)
  const slug = filmSlug(parsed.title, parsed.releaseYear)
  const theFilmId = filmId(parsed.title, parsed.releaseYear)

  // Credits first: they decide which people exist, and so which names are mentions.
  const castDrafts = assembleCast(parsed, facts, people)
  const crewDrafts = assembleCrew(parsed, facts, people)

  const {details} = parsed
  const genres = merged(details.genres, facts?.genres)
  const countries = merged(details.countries, facts?.countries)
  const languages = merged(details.languages, facts?.languages)
  const originalTitle = facts?.originalTitle ?? details.originalTitle
  const productionYear = facts?.productionYear ?? details.productionYear
  const runtimeMinutes = facts?.runtimeMinutes ?? details.runtimeMinutes
  if (genres.length === 0) {
    throw new ImportError('no genre: add a "Genre ..." line to the film details or genres to the film facts', {
      fileName: parsed.fileName,
      line: parsed.titleLine,
    })
  }

  const logline = facts?.logline ?? parsed.logline?.text
  if (facts?.logline === undefined && parsed.logline && parsed.logline.text.length > MAX_LOGLINE) {
    throw new ImportError(
      `the logline is ${parsed.logline.text.length} characters; a film's logline holds at most ${MAX_LOGLINE} (shorten it in the film facts)`,
      {fileName: parsed.fileName, line: parsed.logline.line},
    )
  }

  const film: FilmDocument = {
    _id: theFilmId,
    _type: 'film',
    title: parsed.title,
    ...(originalTitle === undefined ? {} : {originalTitle}),
    slug: {_type: 'slug', current: slug},
    releaseYear: parsed.releaseYear,
    ...(productionYear === undefined ? {} : {productionYear}),
    ...(logline === undefined ? {} : {logline}),
    genres,
    ...(runtimeMinutes === undefined ? {} : {runtimeMinutes}),
    ...(countries.length === 0 ? {} : {countries}),
    ...(languages.length === 0 ? {} : {languages}),
    crew: crewDrafts.map(
      (entry, index): CrewMember => ({
        _type: 'crewMember',
        _key: keyFor(theFilmId, `crew[${index}]`),
        person: {_type: 'reference', _ref: entry.personId},
        job: entry.job,
      }),
    ),
    cast: castDrafts.map(
      (entry, index): CastMember => ({
        _type: 'castMember',
        _key: keyFor(theFilmId, `cast[${index}]`),
        person: {_type: 'reference', _ref: entry.personId},
        ...(entry.characterName === undefined ? {} : {characterName: entry.characterName}),
        ...(entry.isVoice ? {isVoice: true} : {}),
      }),
    ),
  }

  const theReviewId = reviewId(slug, parsed.reviewTitle)
  const spellings = people.spellings()
  const sections = parsed.sections.map(
    (section, sectionIndex): ReviewSection => ({
      _type: 'reviewSection',
      _key: keyFor(theReviewId, `sections[${sectionIndex}]`),
      heading: section.heading,
      body: section.paragraphs.map((paragraph, index) =>
        paragraphBlock(theReviewId, `sections[${sectionIndex}].body[${index}]`, paragraph.text, spellings),
      ),
    }),
  )
  const review: ReviewDocument = {
    _id: theReviewId,
    _type: 'review',
    title: parsed.reviewTitle,
    slug: {_type: 'slug', current: reviewSlug(slug, parsed.reviewTitle)},
    film: {_type: 'reference', _ref: theFilmId},
    kind: parsed.kind,
    publishedOn: parsed.publishedOn,
    ...(parsed.updatedOn === undefined ? {} : {updatedOn: parsed.updatedOn}),
    containsSpoilers: parsed.containsSpoilers,
    intro: parsed.intro.map((paragraph, index) => paragraphBlock(theReviewId, `intro[${index}]`, paragraph.text, spellings)),
    sections,
  }

  const peopleDocuments = people.documents()
  const result: ImportResult = {
    film,
    people: peopleDocuments,
    review,
    documents: [...peopleDocuments, film, review],
    images: [...(facts?.poster ? [{documentId: film._id, field: 'poster' as const, file: facts.poster.file, alt: facts.poster.alt}] : []), ...people.images()],
  }
  for (const document of result.documents) assertUniqueKeys(document, document._id)
  return result
}

/** Guards the "unique `_key` within each array" contract against a hash collision. */
function assertUniqueKeys(value: unknown, where: string): void {
  if (Array.isArray(value)) {
    const seen = new Set<string>()
    for (const item of value) {
      const key = typeof item === 'object' && item !== null && '_key' in item ? item._key : undefined
      if (typeof key === 'string') {
        if (seen.has(key)) throw new Error(`duplicate _key ${key} in ${where}`)
        seen.add(key)
      }
      assertUniqueKeys(item, where)
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) assertUniqueKeys(child, where)
  }
}
