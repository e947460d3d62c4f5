import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {defaultSeedDeps} from '../../importer/command'
import {loadReview} from '../../importer/files'
import {ImportError, importReview, keyFor} from '../../importer/index'
import {readText} from './support'

/**
 * The corpus: small reviews in the site's format, each with its expected outcome in
 * `expected/<name>.json` — either every document it imports (compared whole, with each
 * `_key` written as the path it is derived from, and where each line of the file went)
 * or the exact error. `UPDATE_CORPUS=1` rewrites the expected files from the importer;
 * read the diff before committing one.
 */
const DIR = 'tests/fixtures/reviews'
const files = readdirSync(DIR)
  .filter((name) => name.endsWith('.txt'))
  .sort()
const deps = defaultSeedDeps()

type Expected = {error: string} | {documents: unknown[]; lines: string[]}

/** Every `_key` (and every mark that points at one) replaced by the path the key is derived from. */
function withPathKeys(document: {_id: string}): unknown {
  const paths = new Map<string, string>()
  const collect = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        const itemPath = `${path}[${index}]`
        if (typeof item === 'object' && item !== null && '_key' in item && typeof item._key === 'string') {
          // A key that is not derived from its path stays as it is, and fails the comparison.
          if (item._key === keyFor(document._id, itemPath)) paths.set(item._key, itemPath)
        }
        collect(item, itemPath)
      })
    } else if (typeof value === 'object' && value !== null) {
      for (const [field, child] of Object.entries(value)) collect(child, path ? `${path}.${field}` : field)
    }
  }
  collect(document, '')
  return JSON.parse(JSON.stringify(document), (field, value: unknown) => {
    if (field === '_key' && typeof value === 'string') return paths.get(value) ?? value
    if (field === 'marks' && Array.isArray(value)) return value.map((mark: unknown) => (typeof mark === 'string' ? (paths.get(mark) ?? mark) : mark))
    return value
  })
}

async function outcomeOf(name: string): Promise<Expected> {
  try {
    const loaded = await loadReview(join(DIR, name), deps)
    return {
      documents: loaded.result.documents.map(withPathKeys),
      lines: loaded.parsed.placements.map(({line, place}) => `${line} ${place}`),
    }
  } catch (error) {
    if (error instanceof ImportError) return {error: error.message}
    throw error
  }
}

describe('the review corpus (tests/fixtures/reviews)', () => {
  it('has at least 15 variations, each with an expected outcome, and both outcomes occur', () => {
    expect(files.length).toBeGreaterThanOrEqual(15)
    const expected = readdirSync(join(DIR, 'expected')).sort()
    expect(expected).toStrictEqual(files.map((name) => `${basename(name, '.txt')}.json`).sort())
    const kinds = expected.map((name) => ('error' in (JSON.parse(readFileSync(join(DIR, 'expected', name), 'utf8')) as Expected) ? 'error' : 'documents'))
    expect(kinds.filter((kind) => kind === 'error').length).toBeGreaterThanOrEqual(8)
    expect(kinds.filter((kind) => kind === 'documents').length).toBeGreaterThanOrEqual(8)
  })

  it.each(files)('%s imports exactly as expected', async (name) => {
    const actual = await outcomeOf(name)
    const expectedFile = join(DIR, 'expected', `${basename(name, '.txt')}.json`)
    if (process.env.UPDATE_CORPUS) writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`)
    expect(actual).toStrictEqual(JSON.parse(readFileSync(expectedFile, 'utf8')))
  })

  it('places every non-blank line of every imported review exactly once', async () => {
    for (const name of files) {
      const outcome = await outcomeOf(name)
      if ('error' in outcome) continue
      const nonBlank = readText(join(DIR, name))
        .split(/\r\n|\n/)
        .flatMap((line, index) => (line.trim() === '' ? [] : [index + 1]))
      expect(outcome.lines.map((entry) => Number(entry.split(' ')[0])), name).toStrictEqual(nonBlank)
    }
  })

  it('decides a short unpunctuated paragraph by the heading rule when the facts list no headings', () => {
    const text = readText(join(DIR, 'headings-listed-in-facts-paper-lanterns.txt'))
    const byRule = importReview(text, {fileName: 'paper-lanterns.txt'})
    expect(byRule.review.sections.map((section) => section.heading)).toStrictEqual(['The Shop', 'That little kid cracked me up', 'Final Notes'])
  })
})
