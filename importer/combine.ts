import {ImportError} from './errors'
import {keyFor} from './ids'
import {imagesFor} from './images'
import type {CastMember, CrewMember, FilmDocument, ImageSource, ImportResult, ImportedDocument, PersonDocument, ReviewDocument} from './types'

/**
 * Reviews imported together share documents: Amy Adams in two films is one person,
 * two reviews of one film are about one film. `Combined` folds each review's documents
 * into one set, review by review, and refuses a review that contradicts the ones
 * before it (a different runtime for the same film, the same review twice) without
 * changing anything for the others.
 */
export class Combined {
  private readonly people = new Map<string, PersonDocument>()
  private readonly films = new Map<string, FilmDocument>()
  private readonly reviews = new Map<string, {review: ReviewDocument; fileName: string}>()
  private readonly filmSources = new Map<string, string>()
  /** The images the facts name, in the order added; for one document and field the first wins. */
  private readonly imageSources: ImageSource[] = []

  /** Adds one review's documents; throws `ImportError` (and adds nothing) on a contradiction. */
  add(result: ImportResult, fileName: string): void {
    const earlier = this.reviews.get(result.review._id)
    if (earlier) {
      throw new ImportError(`the review "${result.review.title}" of the same film is also in ${earlier.fileName} (both would be ${result.review._id})`, {fileName})
    }
    const people = result.people.map((person) => mergePerson(this.people.get(person._id), person))
    const previousFilm = this.films.get(result.film._id)
    const film = previousFilm ? mergeFilm(previousFilm, result.film, fileName, this.filmSources.get(result.film._id)!) : result.film
    // Nothing above changed the maps: commit only now that the review fits.
    for (const person of people) this.people.set(person._id, person)
    this.films.set(film._id, film)
    if (!previousFilm) this.filmSources.set(film._id, fileName)
    this.reviews.set(result.review._id, {review: result.review, fileName})
    this.imageSources.push(...result.images)
  }

  /** The images of these documents (see `imagesFor`). */
  imagesOf(documents: readonly {_id: string}[]): ImageSource[] {
    return imagesFor(documents, this.imageSources)
  }

  /**
   * The documents a review needs, as combined so far: its people and everyone its film
   * credits (other reviews may have added credits), its film, itself. A transaction of
   * these alone leaves no reference dangling.
   */
  documentsFor(result: ImportResult): ImportedDocument[] {
    const film = this.films.get(result.film._id)!
    const ids = new Set([...result.people.map((person) => person._id), ...[...film.crew, ...film.cast].map((credit) => credit.person._ref)])
    return [
      ...[...ids].sort().map((id) => this.people.get(id)!),
      film,
      this.reviews.get(result.review._id)!.review,
    ]
  }

  /** Every document once: people by id, then films, then reviews, in the order added. */
  documents(): ImportedDocument[] {
    return [
      ...[...this.people.values()].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)),
      ...this.films.values(),
      ...[...this.reviews.values()].map((entry) => entry.review),
    ]
  }
}

/** One person: the first spelling stays the name, other spellings join the aliases. */
function mergePerson(previous: PersonDocument | undefined, next: PersonDocument): PersonDocument {
  if (!previous) return next
  const aliases = [...(previous.aliases ?? [])]
  for (const spelling of [next.name, ...(next.aliases ?? [])]) {
    if (spelling !== previous.name && !aliases.includes(spelling)) aliases.push(spelling)
  }
  return {...previous, ...(aliases.length ? {aliases} : {})}
}

const SINGLE_FIELDS = ['originalTitle', 'productionYear', 'logline', 'runtimeMinutes'] as const

/**
 * One film from two reviews: lists are joined (the first review's order first), a
 * credit fills in what the other lacks, and a single fact given differently is an error.
 */
function mergeFilm(previous: FilmDocument, next: FilmDocument, fileName: string, previousFile: string): FilmDocument {
  const merged: FilmDocument = {...previous}
  for (const field of SINGLE_FIELDS) {
    const a = previous[field]
    const b = next[field]
    if (a !== undefined && b !== undefined && a !== b) {
      throw new ImportError(
        `the film ${previous.title} (${previous.releaseYear}) has ${field} ${JSON.stringify(b)} here but ${JSON.stringify(a)} in ${previousFile}; make them agree (or set it in the film's facts file)`,
        {fileName},
      )
    }
    if (a === undefined && b !== undefined) Object.assign(merged, {[field]: b})
  }
  const union = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined): T[] => [...new Set([...(a ?? []), ...(b ?? [])])]
  merged.genres = union(previous.genres, next.genres)
  const countries = union(previous.countries, next.countries)
  const languages = union(previous.languages, next.languages)
  if (countries.length) merged.countries = countries
  if (languages.length) merged.languages = languages

  const crew: Array<Omit<CrewMember, '_key'>> = previous.crew.map(({_key, ...member}) => member)
  for (const {_key, ...member} of next.crew) {
    if (!crew.some((entry) => entry.person._ref === member.person._ref && entry.job === member.job)) crew.push(member)
  }
  const cast: Array<Omit<CastMember, '_key'>> = previous.cast.map(({_key, ...member}) => ({...member}))
  for (const {_key, ...member} of next.cast) {
    const own = cast.filter((entry) => entry.person._ref === member.person._ref)
    const same = own.find(
      (entry) => entry.characterName === member.characterName || entry.characterName === undefined || member.characterName === undefined,
    )
    if (!same) cast.push(member)
    else if (same.characterName === undefined && member.characterName !== undefined) {
      same.characterName = member.characterName
      if (member.isVoice) same.isVoice = true
    }
  }
  // Keys follow the position, as in a film built from one review.
  merged.crew = crew.map((member, index) => ({...member, _key: keyFor(previous._id, `crew[${index}]`)}))
  merged.cast = cast.map((member, index) => ({...member, _key: keyFor(previous._id, `cast[${index}]`)}))
  return merged
}
