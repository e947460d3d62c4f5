import {FIRST_FILM_YEAR, GENRES, type Genre, type ReviewKind} from '../schemas/constants'
import {latestReleaseYear} from '../schemas/validation'
import {ImportError} from './errors'

/**
 * Parser for user reviews in the plain-text layout of the Her review:
 *
 *   Her (2013)
 *   Published: Aug 8, 2014 |Updated: Sep 11, 2023
 *   <logline>
 *   Genre Drama                      (metadata lines, one block)
 *   Director Spike Jonze
 *   Male actors Joaquin Phoenix
 *   <review title>
 *   <intro paragraphs>
 *   <heading>                        (short line, no end punctuation)
 *   <paragraphs> ...
 *   »Return to user reviews
 *   Discuss Her below:               (the discussion follows; not imported)
 *
 * Every non-blank line is one element; blank-line runs only matter for headings,
 * which must start a block. Lines are kept verbatim apart from the line ending and
 * surrounding spaces/tabs.
 */

export interface SourceLine {
  text: string
  /** 1-based line number in the file. */
  line: number
  /** True when a blank line (or the start of the file) precedes it. */
  startsBlock: boolean
}

export interface ParsedParagraph {
  text: string
  line: number
}

export interface ParsedSection {
  heading: string
  line: number
  paragraphs: ParsedParagraph[]
}

/** A `<Character> (... portrayed by / played by / voiced by <Actor>)` phrase. */
export interface TextCredit {
  actor: string
  characterName?: string
  isVoice: boolean
  line: number
}

export interface ParsedReview {
  fileName: string
  title: string
  releaseYear: number
  titleLine: number
  /** ISO `YYYY-MM-DD`. */
  publishedOn: string
  updatedOn?: string
  logline?: ParsedParagraph
  genres: Genre[]
  productionYear?: number
  directors: string[]
  writers: string[]
  /** Actors from the metadata lines, in line order (male, female, ... as written). */
  actors: string[]
  reviewTitle: string
  reviewTitleLine: number
  intro: ParsedParagraph[]
  sections: ParsedSection[]
  textCredits: TextCredit[]
  containsSpoilers: boolean
  kind: ReviewKind
}

/**
 * Decodes file bytes as UTF-8, refusing anything else: a Latin-1 or binary file
 * would otherwise import as mojibake. The error names the first bad line.
 */
export function decodeReviewText(bytes: Uint8Array, fileName = '<input>'): string {
  try {
    // The decoder drops a leading byte-order mark.
    const text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    const nul = text.indexOf('\u0000')
    if (nul >= 0) {
      throw new ImportError('not UTF-8 text: the file contains NUL bytes (binary data?)', {
        fileName,
        line: lineOfOffset(text, nul),
      })
    }
    return text
  } catch (error) {
    if (error instanceof ImportError) throw error
    throw new ImportError('not UTF-8 text: the file has bytes that are not valid UTF-8', {
      fileName,
      line: firstInvalidLine(bytes),
    })
  }
}

function lineOfOffset(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length
}

function firstInvalidLine(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', {fatal: true})
  let line = 1
  let start = 0
  for (let index = 0; index <= bytes.length; index++) {
    if (index === bytes.length || bytes[index] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, index))
      } catch {
        return line
      }
      line++
      start = index + 1
    }
  }
  return 1
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5,
  jun: 6, june: 6, jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9,
  oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
}

/** "Aug 8, 2014" → "2014-08-08"; `where` completes the error message. */
export function parseDate(value: string, where: string, fileName: string, line: number): string {
  const match = /^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$/.exec(value.trim())
  const month = match ? MONTHS[match[1]!.toLowerCase()] : undefined
  if (!match || month === undefined) {
    throw new ImportError(`unreadable date "${value}" in ${where} (expected e.g. "Aug 8, 2014")`, {fileName, line})
  }
  const day = Number(match[2])
  const year = Number(match[3])
  // Day 0 of the next month is the last day of this one (leap years included).
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (day < 1 || day > daysInMonth) {
    throw new ImportError(`impossible date "${value}" in ${where}`, {fileName, line})
  }
  return `${match[3]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

const METADATA_LABELS = {
  Genre: 'genres',
  Genres: 'genres',
  'Production year': 'productionYear',
  Director: 'directors',
  Directors: 'directors',
  Writer: 'writers',
  Writers: 'writers',
  'Male actors': 'actors',
  'Female actors': 'actors',
  Actors: 'actors',
} as const

type MetadataField = (typeof METADATA_LABELS)[keyof typeof METADATA_LABELS]

// Labels are matched case-sensitively at the start of the line so a logline that
// happens to begin with "director" is not mistaken for metadata.
const METADATA_LINE = new RegExp(
  `^(${Object.keys(METADATA_LABELS)
    .sort((a, b) => b.length - a.length)
    .join('|')})\\s*:?\\s+(\\S.*)$`,
)

function metadataOf(text: string): {field: MetadataField; label: string; value: string} | undefined {
  const match = METADATA_LINE.exec(text)
  if (!match) return undefined
  const label = match[1] as keyof typeof METADATA_LABELS
  return {field: METADATA_LABELS[label], label, value: match[2]!}
}

const GENRE_SYNONYMS: Record<string, Genre> = {
  'sci-fi': 'science-fiction',
  'scifi': 'science-fiction',
  'science fiction': 'science-fiction',
  'romantic': 'romance',
  'animated': 'animation',
  'biopic': 'biography',
}

function genreOf(value: string): Genre | undefined {
  const lower = value.toLowerCase()
  return GENRES.find((genre) => genre.value === lower || genre.title.toLowerCase() === lower)?.value ?? GENRE_SYNONYMS[lower]
}

function listOf(value: string): string[] {
  return [...new Set(value.split(/\s*,\s*/).map((item) => item.trim()).filter(Boolean))]
}

const RETURN_LINE = /^»?\s*Return to (user|critic) reviews$/i
const DISCUSS_LINE = /^Discuss\s+.+\s+below:?$/

/**
 * A heading is a short line of its own that starts with a capital or digit and
 * has no end punctuation; paragraphs in this format are full sentences.
 */
export function looksLikeHeading(text: string): boolean {
  return (
    text.length <= 80 &&
    text.split(/\s+/).length <= 12 &&
    /^[\p{Lu}\p{N}]/u.test(text) &&
    !/[.!?,;:…"”’')\]–—-]$/u.test(text) &&
    !/[.!?]\s/.test(text)
  )
}

const SPOILER_WARNINGS = [
  /\b(?:beware of|contains?|containing|includes?|including|warning:?|major|minor|mild|heavy|some|possible|massive|full of)\s+spoilers?\b/i,
  /\bspoilers?\s*(?:ahead|alert|warning|below|follow|inside|included)\b/i,
  /\bspoiler\s*(?:alert|warning)\b/i,
  /^\(?\s*spoilers?\s*[!:)]/i,
]

/** True when the author warns of spoilers ("beware of spoilers", "spoilers ahead"). */
export function warnsOfSpoilers(paragraphs: readonly string[]): boolean {
  return paragraphs.some((text) => SPOILER_WARNINGS.some((pattern) => pattern.test(text)))
}

// "(magically portrayed by Joaquin Phoenix)", "(voiced by Scarlet Johansson)".
const CREDIT_PHRASE = /\(([^()]*?)\b(portrayed|played|voiced)\s+by\s+([^()]+?)\s*\)/giu
const NAME_WORD = String.raw`\p{Lu}[\p{L}\p{M}'’.-]*`
const NAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'da', 'di', 'du', 'la', 'le', 'bin', 'al', 'ter', 'ten', 'y'])
// Sentence openers that are capitalised but are not part of a character's name.
const NOT_NAME_WORDS = new Set(['And', 'But', 'Then', 'When', 'While', 'As', 'So', 'Later', 'Meanwhile', 'Also', 'Finally', 'Here', 'There', 'Now', 'Soon', 'Enter', 'Meet', 'Even', 'Only'])

/** "Scarlet Johansson", "Hoyte van Hoytema"; not "the wonderful Amy Adams". */
function looksLikePersonName(text: string): boolean {
  const words = text.split(/\s+/)
  return (
    words.length >= 1 &&
    words.length <= 5 &&
    /^\p{Lu}/u.test(text) &&
    words.every((word) => /^\p{Lu}[\p{L}\p{M}'’.-]*$/u.test(word) || NAME_PARTICLES.has(word))
  )
}

function characterBefore(before: string): string | undefined {
  // "Theodore Twombly (", "one: Amy (": the capitalised words right before.
  const direct = new RegExp(`(?:^|[^\\p{L}\\p{M}'’.-])((?:${NAME_WORD}\\s+)*${NAME_WORD})\\s*$`, 'u').exec(before)
  if (direct) {
    const words = direct[1]!.split(/\s+/)
    while (words.length > 0 && NOT_NAME_WORDS.has(words[0]!)) words.shift()
    if (words.length > 0) return words.join(' ')
    return undefined
  }
  // "Catherine, his ex-wife (": a name followed by a short appositive.
  const appositive = new RegExp(
    `(?:^|[^\\p{L}\\p{M}'’.-])((?:${NAME_WORD}\\s+)*${NAME_WORD}),\\s+(?:his|her|their|its|our|my|the|a|an)\\s+[^,;:.!?()]{1,40}?\\s*$`,
    'u',
  ).exec(before)
  if (appositive) {
    const words = appositive[1]!.split(/\s+/)
    while (words.length > 0 && NOT_NAME_WORDS.has(words[0]!)) words.shift()
    if (words.length > 0) return words.join(' ')
  }
  return undefined
}

/** Credits named in a paragraph, in the order they appear. */
export function creditsIn(text: string, line: number): TextCredit[] {
  const credits: TextCredit[] = []
  for (const match of text.matchAll(CREDIT_PHRASE)) {
    const lead = match[1]!
    // "(played by X)" only; "(a film later played by Y)" is not a credit phrase.
    if (lead.trim() !== '' && !/^\s*[\p{Ll}\s-]*$/u.test(lead)) continue
    if (lead.trim().split(/\s+/).length > 2) continue
    const actor = match[3]!.split(/\s*[,;]\s*/)[0]!.trim()
    if (!looksLikePersonName(actor)) continue
    const characterName = characterBefore(text.slice(0, match.index))
    credits.push({
      actor,
      ...(characterName === undefined ? {} : {characterName}),
      isVoice: match[2]!.toLowerCase() === 'voiced',
      line,
    })
  }
  return credits
}

export function splitLines(text: string): SourceLine[] {
  const lines: SourceLine[] = []
  let previousBlank = true
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    // Trim ASCII spaces/tabs only; a no-break space inside the text is content.
    const trimmed = raw.replace(/^[ \t]+|[ \t]+$/g, '')
    const blank = trimmed.trim() === ''
    if (!blank) lines.push({text: trimmed, line: index + 1, startsBlock: previousBlank})
    previousBlank = blank
  })
  return lines
}

/** Parses one review. Throws `ImportError` (file, line, problem) on malformed input. */
export function parseReview(text: string, options: {fileName?: string} = {}): ParsedReview {
  const fileName = options.fileName ?? '<input>'
  const fail = (problem: string, line: number): never => {
    throw new ImportError(problem, {fileName, line})
  }
  if (text.includes('\u0000')) fail('not UTF-8 text: the file contains NUL bytes (binary data?)', lineOfOffset(text, text.indexOf('\u0000')))
  const lines = splitLines(text.replace(/^\uFEFF/, ''))
  let cursor = 0
  const next = (): SourceLine | undefined => lines[cursor]

  // Title line: "Her (2013)".
  const titleLine = next()
  if (!titleLine) return fail('empty file: expected a review starting with "Title (YYYY)"', 1)
  if (/^Published:/i.test(titleLine.text)) {
    fail('missing the title line: the file should start with "Title (YYYY)"', titleLine.line)
  }
  const titleMatch = /^(.*?)\s*\((\d{4})\)$/.exec(titleLine.text)
  if (!titleMatch) {
    fail(`missing the year in the title line "${titleLine.text}" (expected "Title (YYYY)")`, titleLine.line)
  }
  const title = titleMatch![1]!
  const releaseYear = Number(titleMatch![2])
  if (title === '') fail(`missing the film title before the year in "${titleLine.text}"`, titleLine.line)
  const latest = latestReleaseYear()
  if (releaseYear < FIRST_FILM_YEAR || releaseYear > latest) {
    fail(`impossible year ${releaseYear} in the title line (films are from ${FIRST_FILM_YEAR} to ${latest})`, titleLine.line)
  }
  cursor++

  // "Published: Aug 8, 2014 |Updated: Sep 11, 2023"
  const publishedLine = next()
  const publishedMatch = publishedLine
    ? /^Published:\s*(.*?)\s*(?:\|\s*Updated:\s*(.*?))?$/i.exec(publishedLine.text)
    : null
  if (!publishedLine || !publishedMatch) {
    return fail(
      `missing the "Published: Mon D, YYYY" line after the title${publishedLine ? `, found "${publishedLine.text}"` : ''}`,
      publishedLine?.line ?? titleLine.line,
    )
  }
  const publishedOn = parseDate(publishedMatch[1]!, 'the Published line', fileName, publishedLine.line)
  const updatedOn =
    publishedMatch[2] === undefined
      ? undefined
      : parseDate(publishedMatch[2], 'the Updated part of the Published line', fileName, publishedLine.line)
  if (updatedOn !== undefined && updatedOn < publishedOn) {
    fail(`the Updated date ${updatedOn} is before the Published date ${publishedOn}`, publishedLine.line)
  }
  cursor++

  // Logline: the paragraph before the metadata, if any.
  let logline: ParsedParagraph | undefined
  const afterPublished = next()
  if (afterPublished && !metadataOf(afterPublished.text) && lines[cursor + 1] && metadataOf(lines[cursor + 1]!.text)) {
    logline = {text: afterPublished.text, line: afterPublished.line}
    cursor++
  }

  // Metadata lines.
  const genres: Genre[] = []
  const directors: string[] = []
  const writers: string[] = []
  const actors: string[] = []
  let productionYear: number | undefined
  for (let line = next(); line; line = next()) {
    const metadata = metadataOf(line.text)
    if (!metadata) break
    cursor++
    switch (metadata.field) {
      case 'genres':
        for (const value of listOf(metadata.value)) {
          const genre = genreOf(value)
          if (!genre) {
            fail(`unknown genre "${value}" (known: ${GENRES.map((item) => item.title).join(', ')})`, line.line)
          } else if (!genres.includes(genre)) {
            genres.push(genre)
          }
        }
        break
      case 'productionYear':
        if (!/^\d{4}$/.test(metadata.value)) fail(`unreadable production year "${metadata.value}"`, line.line)
        productionYear = Number(metadata.value)
        break
      case 'directors':
      case 'writers':
      case 'actors': {
        const target = metadata.field === 'directors' ? directors : metadata.field === 'writers' ? writers : actors
        for (const name of listOf(metadata.value)) {
          if (!looksLikePersonName(name)) fail(`"${name}" in the ${metadata.label} line does not look like a name`, line.line)
          if (!target.includes(name)) target.push(name)
        }
        break
      }
    }
  }

  // The review itself: title, then paragraphs up to the "»Return to ..." / "Discuss ..." lines.
  const reviewTitleLine = next()
  if (!reviewTitleLine || RETURN_LINE.test(reviewTitleLine.text) || DISCUSS_LINE.test(reviewTitleLine.text)) {
    return fail('no review: expected the review title and body after the film details', reviewTitleLine?.line ?? lines[cursor - 1]!.line)
  }
  cursor++
  let kind: ReviewKind = 'user'
  const body: SourceLine[] = []
  for (let line = next(); line; line = next()) {
    const returnMatch = RETURN_LINE.exec(line.text)
    if (returnMatch) {
      kind = returnMatch[1]!.toLowerCase() === 'critic' ? 'critic' : 'user'
      break
    }
    if (DISCUSS_LINE.test(line.text)) break
    body.push(line)
    cursor++
  }
  if (body.length === 0) {
    fail(`no review body after the review title "${reviewTitleLine.text}"`, reviewTitleLine.line)
  }

  const isHeading = (index: number): boolean => {
    const line = body[index]!
    const following = body[index + 1]
    return line.startsBlock && looksLikeHeading(line.text) && following !== undefined && !(following.startsBlock && looksLikeHeading(following.text))
  }
  const intro: ParsedParagraph[] = []
  const sections: ParsedSection[] = []
  body.forEach((line, index) => {
    if (isHeading(index)) {
      sections.push({heading: line.text, line: line.line, paragraphs: []})
    } else {
      const paragraph = {text: line.text, line: line.line}
      const section = sections.at(-1)
      if (section) section.paragraphs.push(paragraph)
      else intro.push(paragraph)
    }
  })
  if (sections.length === 0) {
    fail(
      `no section headings in the review "${reviewTitleLine.text}" (a heading is a short line without end punctuation, followed by paragraphs)`,
      reviewTitleLine.line,
    )
  }

  const paragraphs = [...intro, ...sections.flatMap((section) => section.paragraphs)]
  return {
    fileName,
    title,
    releaseYear,
    titleLine: titleLine.line,
    publishedOn,
    ...(updatedOn === undefined ? {} : {updatedOn}),
    ...(logline === undefined ? {} : {logline}),
    genres,
    ...(productionYear === undefined ? {} : {productionYear}),
    directors,
    writers,
    actors,
    reviewTitle: reviewTitleLine.text,
    reviewTitleLine: reviewTitleLine.line,
    intro,
    sections,
    textCredits: paragraphs.flatMap((paragraph) => creditsIn(paragraph.text, paragraph.line)),
    containsSpoilers: warnsOfSpoilers(paragraphs.map((paragraph) => paragraph.text)),
    kind,
  }
}
