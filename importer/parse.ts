import {FIRST_FILM_YEAR, type Country, type CrewJob, type Genre, type Language, type ReviewKind} from '../schemas/constants'
import {latestReleaseYear} from '../schemas/validation'
import {parseDate} from './dates'
import {ImportError} from './errors'
import {
  guessLabel,
  LabelMatcher,
  listItems,
  readCountry,
  readGenre,
  readLanguage,
  readName,
  readRuntime,
  readYear,
  SINGLE_VALUED,
  ValueError,
  type DetailTarget,
} from './labels'
import {creditsIn, warnsOfSpoilers, type ProseOptions, type TextCredit} from './prose'

/**
 * Parser for reviews in the site's plain-text layout (README, "The review text format"):
 *
 *   Her (2013)                         title line: film title and release year
 *   Published: Aug 8, 2014 |Updated: Sep 11, 2023
 *   <logline>                          optional, one line in a block of its own
 *   Genre Drama                        the film details: one block of "Label value" lines
 *   Director Spike Jonze
 *   <review title>                     the line after the details
 *   <intro paragraphs>
 *   <heading>                          a short line of its own without end punctuation,
 *   <paragraphs> ...                   followed by a paragraph
 *   »Return to user reviews            closing lines, both optional
 *   Discuss Her below:
 *
 * Every non-blank line is one element and ends up in exactly one place; where no
 * place fits, parsing fails with `file:line: problem`. Blank lines separate blocks
 * and carry no content. Lines are kept verbatim apart from the line ending and
 * surrounding spaces and tabs.
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

/** Where a line of the input went. */
export type Place = 'title' | 'published' | 'logline' | 'details' | 'review title' | 'heading' | 'paragraph' | 'closing'

/** Decisions for one review that override the layout rules; they live in the film's facts file. */
export interface ReviewOverrides {
  /** The review's title line, which identifies the review these decisions are for. */
  title: string
  /** Exactly these lines, in this order, are the section headings; every other line is a paragraph. */
  headings?: readonly string[]
  /** Overrides the spoiler flag the importer reads from the author's warnings. */
  containsSpoilers?: boolean
}

export interface ParseOptions extends ProseOptions {
  fileName?: string
  /** Further label spellings and the film data they carry, e.g. `{Regie: 'director'}`. */
  labels?: Readonly<Record<string, DetailTarget>>
  /** Per-review decisions; the one whose `title` is this review's title applies. */
  reviews?: readonly ReviewOverrides[]
  /** The file the overrides come from, for error messages. */
  overridesFile?: string
}

export interface DetailCast {
  name: string
  isVoice: boolean
  line: number
}

export interface DetailCrew {
  name: string
  job: CrewJob
  line: number
}

/** What the film-details lines say. Lists keep the order of the lines. */
export interface ParsedDetails {
  genres: Genre[]
  productionYear?: number
  originalTitle?: string
  runtimeMinutes?: number
  countries: Country[]
  languages: Language[]
  cast: DetailCast[]
  crew: DetailCrew[]
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
  details: ParsedDetails
  reviewTitle: string
  reviewTitleLine: number
  intro: ParsedParagraph[]
  sections: ParsedSection[]
  textCredits: TextCredit[]
  containsSpoilers: boolean
  kind: ReviewKind
  /** The overrides that applied to this review, if any. */
  overrides?: ReviewOverrides
  /** Every non-blank line and where it went, in line order. */
  placements: Array<{line: number; place: Place}>
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
  return text.slice(0, offset).split(/\r\n|\r|\n/).length
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

const RETURN_LINE = /^»?\s*Return to (user|critic) reviews$/i
const DISCUSS_LINE = /^Discuss\s+(.+?)\s+below:?$/
const TITLE_LINE = /^(.*?)\s*\((\d{4})\)$/
const PUBLISHED_LINE = /^Published:\s*(.*?)\s*(?:\|\s*Updated:\s*(.*?))?$/i
/** Longer than this, the line after the details reads as a paragraph, not a review title. */
export const MAX_REVIEW_TITLE = 150

/**
 * The heading rule: a short line (≤ 80 characters, ≤ 12 words) that starts with a capital
 * letter or digit and has no end punctuation and no sentence break inside. Only lines that
 * start a block and are followed by a paragraph are headings (see `parseReview`).
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

/** The film a review is about, from its first line alone (to find its facts file before parsing). */
export function readFilmLine(text: string, fileName = '<input>'): {title: string; releaseYear: number; line: number} {
  const first = splitLines(text.replace(/^\uFEFF/, ''))[0]
  if (!first) throw new ImportError('empty file: expected a review starting with "Title (YYYY)"', {fileName, line: 1})
  const fail = (problem: string): never => {
    throw new ImportError(problem, {fileName, line: first.line})
  }
  if (PUBLISHED_LINE.test(first.text)) fail('missing the title line: the file should start with "Title (YYYY)"')
  const match = TITLE_LINE.exec(first.text)
  if (!match) return fail(`missing the year in the title line "${first.text}" (expected "Title (YYYY)")`)
  const title = match[1]!
  const releaseYear = Number(match[2])
  if (title === '') fail(`missing the film title before the year in "${first.text}"`)
  const latest = latestReleaseYear()
  if (releaseYear < FIRST_FILM_YEAR || releaseYear > latest) {
    fail(`impossible year ${releaseYear} in the title line (films are from ${FIRST_FILM_YEAR} to ${latest})`)
  }
  return {title, releaseYear, line: first.line}
}

/** Parses one review. Throws `ImportError` (file, line, problem) on malformed input. */
export function parseReview(text: string, options: ParseOptions = {}): ParsedReview {
  const fileName = options.fileName ?? '<input>'
  const fail = (problem: string, line: number | undefined): never => {
    throw new ImportError(problem, {fileName, ...(line === undefined ? {} : {line})})
  }
  if (text.includes('\u0000')) fail('not UTF-8 text: the file contains NUL bytes (binary data?)', lineOfOffset(text, text.indexOf('\u0000')))
  const lines = splitLines(text.replace(/^\uFEFF/, ''))
  const placements = new Map<number, Place>()
  const place = (line: SourceLine, where: Place) => {
    // The parser's own invariant; a failure here is a bug, not bad input.
    if (placements.has(line.line)) throw new Error(`${fileName}:${line.line}: placed twice (${placements.get(line.line)}, ${where})`)
    placements.set(line.line, where)
  }
  const labels = new LabelMatcher(options.labels)
  let cursor = 0

  // Title line: "Her (2013)".
  const film = readFilmLine(text, fileName)
  place(lines[cursor]!, 'title')
  cursor++

  // "Published: Aug 8, 2014 |Updated: Sep 11, 2023"
  const publishedLine = lines[cursor]
  const publishedMatch = publishedLine ? PUBLISHED_LINE.exec(publishedLine.text) : null
  if (!publishedLine || !publishedMatch) {
    return fail(
      `missing the "Published: Mon D, YYYY" line after the title${publishedLine ? `, found "${publishedLine.text}"` : ''}`,
      publishedLine?.line ?? film.line,
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
  place(publishedLine, 'published')
  cursor++

  // Logline (optional) and film details (required), each a block of its own.
  const blockAt = (start: number): SourceLine[] => {
    let end = start + 1
    while (end < lines.length && !lines[end]!.startsBlock) end++
    return lines.slice(start, end)
  }
  const isDetails = (block: readonly SourceLine[]) => block.some((line) => labels.match(line.text) !== undefined)
  const missingDetails = (line: SourceLine | undefined, after: string): never => {
    if (!line) return fail(`the file ends after ${after}: expected the film details (lines such as "Genre Drama"), the review title and the review`, lines.at(-1)!.line)
    return fail(
      `expected the film details after ${after}: a block of "Label value" lines such as "Genre Drama" (known labels: ${labels.describe()}), found "${line.text}"`,
      line.line,
    )
  }
  let logline: ParsedParagraph | undefined
  let block = blockAt(cursor)
  if (block.length === 0) missingDetails(undefined, 'the Published line')
  if (!isDetails(block)) {
    const first = block[0]!
    // Several "Label value"-shaped lines with no known label among them: details with unknown labels.
    const guesses = block.map((line) => guessLabel(line.text))
    if (block.length > 1 && guesses.every((guess) => guess !== undefined)) {
      fail(`unknown label "${guesses[0]}" (known labels: ${labels.describe()})`, first.line)
    }
    // A lone "Budget $20 million" before the details is an unknown label, not a logline.
    const next = blockAt(cursor + block.length)
    const label = guessLabel(first.text)
    if (isDetails(next) && label !== undefined) {
      fail(`unknown label "${label}" (known labels: ${labels.describe()}); if this line is the logline, end it with punctuation`, first.line)
    }
    if (!isDetails(next)) missingDetails(block.length > 1 ? block[1] : next[0], `the logline on line ${first.line}`)
    if (block.length > 1) missingDetails(block[1], `the logline on line ${first.line}`)
    logline = {text: first.text, line: first.line}
    place(first, 'logline')
    cursor += 1
    block = next
  }
  const details = readDetails(block, labels, film.releaseYear, fail)
  for (const line of block) place(line, 'details')
  cursor += block.length

  // Review title: the line after the details.
  const lastDetailsLine = block.at(-1)!.line
  const reviewTitleLine = lines[cursor]
  if (!reviewTitleLine || RETURN_LINE.test(reviewTitleLine.text) || DISCUSS_LINE.test(reviewTitleLine.text)) {
    return fail('no review: expected the review title and body after the film details', reviewTitleLine?.line ?? lastDetailsLine)
  }
  const strayLabel = labels.match(reviewTitleLine.text)
  if (strayLabel) {
    fail(
      `the film details go on after a blank line ("${strayLabel.label}" line): keep all details lines in one block, with the review title after them`,
      reviewTitleLine.line,
    )
  }
  if (reviewTitleLine.text.length > MAX_REVIEW_TITLE) {
    fail(
      `expected the review title after the film details, found a line of ${reviewTitleLine.text.length} characters (a title has at most ${MAX_REVIEW_TITLE}): is the title missing?`,
      reviewTitleLine.line,
    )
  }
  place(reviewTitleLine, 'review title')
  cursor++

  // Body up to the closing lines.
  const body: SourceLine[] = []
  while (cursor < lines.length && !RETURN_LINE.test(lines[cursor]!.text) && !DISCUSS_LINE.test(lines[cursor]!.text)) {
    body.push(lines[cursor]!)
    cursor++
  }
  let kind: ReviewKind = 'user'
  const returnMatch = lines[cursor] ? RETURN_LINE.exec(lines[cursor]!.text) : null
  if (returnMatch) {
    kind = returnMatch[1]!.toLowerCase() === 'critic' ? 'critic' : 'user'
    place(lines[cursor]!, 'closing')
    cursor++
  }
  const discussMatch = lines[cursor] ? DISCUSS_LINE.exec(lines[cursor]!.text) : null
  if (discussMatch) {
    if (discussMatch[1] !== film.title) {
      fail(`the closing line names "${discussMatch[1]}", but the review is about "${film.title}"`, lines[cursor]!.line)
    }
    place(lines[cursor]!, 'closing')
    cursor++
  }
  if (cursor < lines.length) {
    fail(
      `unexpected text after the closing lines: "${lines[cursor]!.text}" (nothing may follow "Discuss ${film.title} below:"; the discussion is not imported, so remove it)`,
      lines[cursor]!.line,
    )
  }
  if (body.length === 0) fail(`no review body after the review title "${reviewTitleLine.text}"`, reviewTitleLine.line)

  const overrides = options.reviews?.find((review) => review.title === reviewTitleLine.text)
  const headings = overrides?.headings
    ? listedHeadings(body, overrides.headings, options.overridesFile ?? fileName, reviewTitleLine, fail)
    : ruleHeadings(body, fail)
  const intro: ParsedParagraph[] = []
  const sections: ParsedSection[] = []
  body.forEach((line, index) => {
    if (headings.has(index)) {
      sections.push({heading: line.text, line: line.line, paragraphs: []})
      place(line, 'heading')
    } else {
      const paragraph = {text: line.text, line: line.line}
      const section = sections.at(-1)
      if (section) section.paragraphs.push(paragraph)
      else intro.push(paragraph)
      place(line, 'paragraph')
    }
  })
  if (sections.length === 0) {
    fail(
      `no section headings in the review "${reviewTitleLine.text}" (a heading is a short line without end punctuation, followed by paragraphs)`,
      reviewTitleLine.line,
    )
  }
  for (const line of lines) {
    if (!placements.has(line.line)) throw new Error(`${fileName}:${line.line}: the parser left this line out (a bug)`)
  }

  const paragraphs = [...intro, ...sections.flatMap((section) => section.paragraphs)]
  const prose: ProseOptions = {
    knownNames: [...details.cast, ...details.crew].map((credit) => credit.name).concat(options.knownNames ?? []),
    ...(options.notNames ? {notNames: options.notNames} : {}),
  }
  return {
    fileName,
    title: film.title,
    releaseYear: film.releaseYear,
    titleLine: film.line,
    publishedOn,
    ...(updatedOn === undefined ? {} : {updatedOn}),
    ...(logline === undefined ? {} : {logline}),
    details,
    reviewTitle: reviewTitleLine.text,
    reviewTitleLine: reviewTitleLine.line,
    intro,
    sections,
    textCredits: paragraphs.flatMap((paragraph) => creditsIn(paragraph.text, paragraph.line, prose)),
    containsSpoilers:
      overrides?.containsSpoilers ?? warnsOfSpoilers(paragraphs.map((paragraph) => paragraph.text), options.spoilerPhrases),
    kind,
    ...(overrides ? {overrides} : {}),
    placements: [...placements].sort(([a], [b]) => a - b).map(([line, where]) => ({line, place: where})),
  }
}

type Fail = (problem: string, line: number | undefined) => never

function readDetails(block: readonly SourceLine[], labels: LabelMatcher, releaseYear: number, fail: Fail): ParsedDetails {
  const details: ParsedDetails = {genres: [], countries: [], languages: [], cast: [], crew: []}
  const seen = new Map<DetailTarget, {label: string; line: number}>()
  const addUnique = <T>(list: T[], item: T) => {
    if (!list.includes(item)) list.push(item)
  }
  for (const line of block) {
    const match = labels.match(line.text)
    if (!match) {
      const label = guessLabel(line.text)
      fail(
        label === undefined
          ? `"${line.text}" is not a "Label value" line, but it is in the film details block: put a blank line between the details and other text`
          : `unknown label "${label}" (known labels: ${labels.describe()})`,
        line.line,
      )
    }
    const {label, target, value} = match!
    if (value === '') fail(`the ${label} line has no value`, line.line)
    const previous = seen.get(target)
    if (previous && SINGLE_VALUED.has(target)) {
      fail(`a second ${label} line: line ${previous.line} (${previous.label}) already gives it`, line.line)
    }
    seen.set(target, {label, line: line.line})
    try {
      switch (target) {
        case 'genres':
          for (const item of listItems(value, 'genre')) addUnique(details.genres, readGenre(item))
          break
        case 'productionYear': {
          const year = readYear(value, 'production year')
          if (year > releaseYear) throw new ValueError(`the production year ${year} is after the release year ${releaseYear}`, 'the title line gives the release year')
          details.productionYear = year
          break
        }
        case 'originalTitle':
          if (value.length > 200) throw new ValueError('an original title has at most 200 characters')
          details.originalTitle = value
          break
        case 'runtime':
          details.runtimeMinutes = readRuntime(value)
          break
        case 'countries':
          for (const item of listItems(value, 'country')) addUnique(details.countries, readCountry(item))
          break
        case 'languages':
          for (const item of listItems(value, 'language')) addUnique(details.languages, readLanguage(item))
          break
        case 'cast':
        case 'voiceCast':
          for (const item of listItems(value, 'name')) {
            const name = readName(item)
            if (!details.cast.some((credit) => credit.name === name)) details.cast.push({name, isVoice: target === 'voiceCast', line: line.line})
          }
          break
        default:
          for (const item of listItems(value, 'name')) {
            const name = readName(item)
            if (!details.crew.some((credit) => credit.name === name && credit.job === target)) details.crew.push({name, job: target, line: line.line})
          }
      }
    } catch (error) {
      if (error instanceof ValueError) fail(`${error.message} in the ${label} line${error.hint ? ` (${error.hint})` : ''}`, line.line)
      throw error
    }
  }
  return details
}

/** Body indexes that are headings by the rule; ambiguous layouts fail instead of guessing. */
function ruleHeadings(body: readonly SourceLine[], fail: Fail): Set<number> {
  const candidate = (index: number) => body[index] !== undefined && body[index]!.startsBlock && looksLikeHeading(body[index]!.text)
  const headings = new Set<number>()
  const listThem = 'list the review’s headings in its facts file (reviews[].headings)'
  for (let index = 0; index < body.length; index++) {
    if (!candidate(index)) continue
    const line = body[index]!
    if (index === body.length - 1) {
      fail(`"${line.text}" looks like a section heading, but the review ends after it. If it is the closing paragraph, end it with punctuation, or ${listThem}.`, line.line)
    }
    if (candidate(index + 1)) {
      const next = body[index + 1]!
      fail(
        `"${line.text}" and "${next.text}" (line ${next.line}) both look like section headings, but a heading is followed by a paragraph. End the one that is a paragraph with punctuation, or ${listThem}.`,
        line.line,
      )
    }
    headings.add(index)
  }
  return headings
}

/** Body indexes of the headings a facts file lists; each must be a line of the body, in order. */
function listedHeadings(
  body: readonly SourceLine[],
  listed: readonly string[],
  factsFile: string,
  reviewTitle: SourceLine,
  fail: Fail,
): Set<number> {
  const headings = new Set<number>()
  let next = 0
  body.forEach((line, index) => {
    if (next < listed.length && line.text === listed[next]) {
      headings.add(index)
      next++
    }
  })
  if (next < listed.length) {
    fail(
      `the heading "${listed[next]}" that ${factsFile} lists for this review is not a line of it${next > 0 ? ` after "${listed[next - 1]}"` : ''}`,
      reviewTitle.line,
    )
  }
  for (const index of headings) {
    if (index === body.length - 1 || headings.has(index + 1)) {
      fail(`the listed heading "${body[index]!.text}" is not followed by a paragraph`, body[index]!.line)
    }
  }
  return headings
}
