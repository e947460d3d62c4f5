import {dirname, join} from 'node:path'

import {buildDocuments} from './build'
import {ImportError} from './errors'
import {checkFactsMatch, parseFacts, parseOptionsFrom, type FilmFacts} from './facts'
import {filmSlug} from './ids'
import {decodeReviewText, parseReview, readFilmLine, type ParsedReview} from './parse'
import type {ImportResult} from './types'

/** Where curated facts live besides the review's own folder. */
export const FACTS_DIR = 'seed'

/** Review files in a folder: `*.txt`. Facts files (`*.facts.ts`) and anything else are not reviews. */
export const REVIEW_FILE = /\.txt$/i

/** The file access an import needs; tests and the benchmark pass the real one or a variant. */
export interface ReviewFiles {
  readFile(path: string): Promise<Uint8Array>
  exists(path: string): Promise<boolean>
  /** Names (not paths) of the entries in a folder. */
  listDir(path: string): Promise<string[]>
  /** Imports a facts module and returns its default export. */
  loadFacts(path: string): Promise<unknown>
}

export interface LoadedReview {
  fileName: string
  parsed: ParsedReview
  result: ImportResult
  /** The facts file used, if any. */
  factsFile?: string
  facts?: FilmFacts
}

/** The review files of a folder, sorted by name so every run imports them in the same order. */
export async function reviewFilesIn(dir: string, files: ReviewFiles): Promise<string[]> {
  if (!(await files.exists(dir))) throw new ImportError('no such folder', {fileName: dir})
  return (await files.listDir(dir))
    .filter((name) => REVIEW_FILE.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name))
}

/**
 * Reads, parses and builds one review file. The facts file is `--facts` when given,
 * else `<film-slug>.facts.ts` next to the review, else in `seed/`. Throws
 * `ImportError` naming the file (and line) on any problem.
 */
export async function loadReview(fileName: string, files: ReviewFiles, options: {facts?: string} = {}): Promise<LoadedReview> {
  if (!(await files.exists(fileName))) throw new ImportError('no such file', {fileName})
  const text = decodeReviewText(await files.readFile(fileName), fileName)
  // The first line names the film, and so the conventional facts file.
  const film = readFilmLine(text, fileName)
  const found = await findFacts(fileName, filmSlug(film.title, film.releaseYear), files, options.facts)
  if (found) checkFactsMatch(found.facts, {...film, titleLine: film.line}, fileName)
  const parsed = parseReview(text, {...parseOptionsFrom(found?.facts, found?.path), fileName})
  const result = buildDocuments(parsed, found?.facts)
  // Image files are named relative to the facts file.
  if (found) result.images = result.images.map((image) => ({...image, file: join(dirname(found.path), image.file)}))
  return {fileName, parsed, result, ...(found ? {factsFile: found.path, facts: found.facts} : {})}
}

async function findFacts(
  reviewFile: string,
  slug: string,
  files: ReviewFiles,
  given: string | undefined,
): Promise<{path: string; facts: FilmFacts} | undefined> {
  let path = given
  if (path === undefined) {
    const candidates = [...new Set([join(dirname(reviewFile), `${slug}.facts.ts`), join(FACTS_DIR, `${slug}.facts.ts`)])]
    for (const candidate of candidates) {
      if (await files.exists(candidate)) {
        path = candidate
        break
      }
    }
    if (path === undefined) return undefined
  } else if (!(await files.exists(path))) {
    throw new ImportError('no such facts file', {fileName: path})
  }
  let value: unknown
  try {
    value = await files.loadFacts(path)
  } catch (error) {
    throw new ImportError(`cannot load the facts module: ${error instanceof Error ? error.message : String(error)}`, {fileName: path})
  }
  const facts = parseFacts(value, path)
  await checkImageFiles(facts, path, files)
  return {path, facts}
}

/** Every image file the facts name must be there (a typo fails the import, it does not drop the image). */
async function checkImageFiles(facts: FilmFacts, factsFile: string, files: ReviewFiles): Promise<void> {
  const named = [
    ...(facts.poster ? [{where: 'poster.file', file: facts.poster.file}] : []),
    ...(facts.people ?? []).flatMap((person, index) => (person.image ? [{where: `people.${index}.image.file`, file: person.image.file}] : [])),
  ]
  for (const {where, file} of named) {
    const path = join(dirname(factsFile), file)
    if (!(await files.exists(path))) {
      throw new ImportError(`${where}: no such image file ${path} (image paths are relative to the facts file)`, {fileName: factsFile})
    }
  }
}
