import {readFileSync} from 'node:fs'
import {resolve} from 'node:path'
import {PassThrough} from 'node:stream'

import {defaultSeedDeps, runSeed, type SeedOptions} from '../../importer/command'
import {blockTexts, type ReviewDocument} from '../../importer/index'

export const HER_FILE = 'seed/her-2013-user-review.txt'
export const HER_FACTS_FILE = 'seed/her-2013.facts.ts'
export const ARRIVAL_FILE = 'tests/fixtures/reviews/arrival-2016-user-review.txt'

export function readText(path: string): string {
  return readFileSync(resolve(path), 'utf8')
}

/**
 * The review's own lines as the source has them: every non-blank line after the
 * review title up to the "»Return to user reviews" line. Found by plain text
 * search so it does not share logic with the parser.
 */
export function sourceBodyLines(source: string, reviewTitle: string): string[] {
  const lines = source.split(/\r\n|\n/).filter((line) => line.trim() !== '')
  const start = lines.indexOf(reviewTitle)
  const end = lines.findIndex((line) => line.startsWith('»Return to'))
  if (start < 0 || end < start) throw new Error('fixture has no review title or return line')
  return lines.slice(start + 1, end)
}

/** Headings and paragraph texts rebuilt from the review document, in reading order. */
export function rebuiltBodyLines(review: ReviewDocument): string[] {
  return [...blockTexts(review.intro), ...review.sections.flatMap((section) => [section.heading, ...blockTexts(section.body)])]
}

/** Every (span text, mentioned person id) pair in the review, in reading order. */
export function mentionsIn(review: ReviewDocument): Array<[string, string]> {
  const blocks = [...review.intro, ...review.sections.flatMap((section) => section.body)]
  return blocks.flatMap((block) =>
    block.children.flatMap((span) =>
      span.marks.map((mark): [string, string] => {
        const def = block.markDefs.find((markDef) => markDef._key === mark)
        if (!def) throw new Error(`span ${span._key} has a mark without a markDef`)
        return [span.text, def.reference._ref]
      }),
    ),
  )
}

/** Every array in a value (recursively), for key-uniqueness checks. */
export function arraysIn(value: unknown, path = ''): Array<{path: string; items: unknown[]}> {
  if (Array.isArray(value)) {
    return [{path, items: value}, ...value.flatMap((item, index) => arraysIn(item, `${path}[${index}]`))]
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) => arraysIn(child, path ? `${path}.${key}` : key))
  }
  return []
}

/**
 * `npm run seed` against a real lake (the `runSeed` the entry runs, with the real files and
 * client), capturing what it prints: `out` is stdout, `err` stderr, `all` both in order.
 */
export async function seedIntoLake(lake: {url: string; token: string}, dataset: string, options: Partial<SeedOptions>) {
  let out = ''
  let err = ''
  let all = ''
  const code = await runSeed(
    {file: HER_FILE, dryRun: false, ...options},
    {
      ...defaultSeedDeps({terminal: new PassThrough()}),
      target: () => ({kind: 'lake', projectId: 'local', dataset, token: lake.token, apiHost: lake.url}),
      stdout: (text) => {
        out += text
        all += text
      },
      stderr: (text) => {
        err += text
        all += text
      },
    },
  )
  return {code, out, err, all}
}
