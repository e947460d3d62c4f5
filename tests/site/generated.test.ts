/**
 * Every page answers 200 or 404, never 500, for any schema-valid content. Generated datasets
 * (fast-check, seeded and bounded) are stored in a real local lake, each run in a dataset of its
 * own, and every route is rendered through the site handler: `/` and its next page, each film,
 * review and person, and unknown slugs. Each page must parse as HTML without a single parse error
 * (parse5, the WHATWG parser), have one `<h1>`, and carry JSON-LD that parses.
 */
import fc from 'fast-check'
import {parse, type DefaultTreeAdapterMap} from 'parse5'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createSiteHandler} from '../../site/index'
import {put, startTestLake, type TestLake} from '../helpers/lake'
import {datasetArbitrary, type GeneratedDataset} from './arbitraries'
import {decode, jsonLdOf} from './support'

/** Bounded for the shared 2-core machines; SITE_PROPERTY_RUNS / SITE_PROPERTY_SEED explore further. */
const RUNS = Number(process.env.SITE_PROPERTY_RUNS ?? 120)
const SEED = Number(process.env.SITE_PROPERTY_SEED ?? 20_251_111)

let lake: TestLake

beforeAll(async () => {
  lake = await startTestLake('gen-0')
})

afterAll(async () => {
  await lake?.close()
})

type Element = DefaultTreeAdapterMap['element']
type Node = DefaultTreeAdapterMap['node']

function elements(node: Node, name: string): Element[] {
  const own = 'tagName' in node && node.tagName === name ? [node] : []
  const children = 'childNodes' in node ? node.childNodes : []
  return [...own, ...children.flatMap((child) => elements(child, name))]
}

/** Problems with a page: parse errors, a missing or doubled h1, JSON-LD that does not parse. */
function pageProblems(html: string): string[] {
  const problems: string[] = []
  const document = parse(html, {onParseError: (error) => problems.push(`parse error ${error.code} at line ${error.startLine}, column ${error.startCol}`)})
  const h1s = elements(document, 'h1')
  if (h1s.length !== 1) problems.push(`${h1s.length} <h1> elements`)
  if (elements(document, 'main').length !== 1) problems.push('no single <main>')
  try {
    jsonLdOf(html)
  } catch (error) {
    problems.push(`JSON-LD does not parse: ${String(error)}`)
  }
  return problems
}

let run = 0
let pages = 0

describe('the site on generated content', () => {
  it(`answers 200 or 404 with well-formed HTML on every route (${RUNS} seeded datasets)`, async () => {
    const started = performance.now()
    await fc.assert(
      fc.asyncProperty(datasetArbitrary, async (dataset: GeneratedDataset) => {
        run += 1
        // A dataset per run: nothing from an earlier (or shrunk) case leaks into this one.
        const client = lake.client.withConfig({dataset: `gen-${run}`})
        // A private marker creates the dataset even when the generated one is empty.
        await put(client, [{_id: 'gen.marker', _type: 'marker'}, ...dataset.documents])
        const logLines: string[] = []
        // Half the runs read as the public does, half with a token (which also reads private ids).
        const reader = run % 2 === 0 ? lake.anonymous : lake.client
        const site = createSiteHandler({client: reader.withConfig({dataset: `gen-${run}`}), log: (line) => logLines.push(line), pageSize: 2})

        const get = async (path: string) => {
          pages += 1
          const response = await site(new Request(`http://site.test${path}`))
          if (!response) throw new Error(`${path} is not a site route`)
          return {path, status: response.status, html: await response.text()}
        }
        const expectPage = (page: {path: string; status: number; html: string}, status: number) => {
          // The server-side log carries the error behind a 500.
          expect({path: page.path, status: page.status, problems: pageProblems(page.html), log: logLines}).toStrictEqual({path: page.path, status, problems: [], log: []})
        }

        const home = await get('/')
        expectPage(home, 200)
        const next = /<a href="([^"]+)" rel="next">/.exec(home.html)?.[1]
        if (next) expectPage(await get(decode(next)), 200)
        for (const slug of dataset.slugs.films) expectPage(await get(`/films/${slug}`), 200)
        for (const slug of dataset.slugs.reviews) {
          expectPage(await get(`/reviews/${slug}`), 200)
          expectPage(await get(`/reviews/${slug}?comment=pending`), 200)
        }
        for (const slug of dataset.slugs.people) expectPage(await get(`/people/${slug}`), 200)
        for (const route of ['films', 'reviews', 'people']) expectPage(await get(`/${route}/not-generated`), 404)
      }),
      {seed: SEED, numRuns: RUNS},
    )
    console.info(`generated content: ${run} datasets (${RUNS} runs), ${pages} pages rendered in ${Math.round(performance.now() - started)} ms`)
  }, 300_000)
})
