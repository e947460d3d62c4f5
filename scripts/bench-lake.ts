/**
 * Review-page query latency: the lake over HTTP (@sanity/client) next to plain groq-js
 * over an in-memory array of the same documents, at 1k, 10k and 100k documents.
 *   npm run bench:lake [-- --sizes 1000,10000]
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isDeepStrictEqual, parseArgs} from 'node:util'

import {createClient} from '@sanity/client'
import {evaluate, parse} from 'groq-js'

import {apiVersion} from '../lib/env'
import {LakeStore, startLake} from '../lake'

const QUERY = `*[_type == "review" && slug.current == $slug][0]{
  ...,
  film->{title, releaseYear},
  "comments": *[_type == "comment" && review._ref == ^._id && status == "approved"] | order(createdAt asc)
}`

const HELP = `Usage: npm run bench:lake [-- --sizes 1000,10000,100000]`

type Doc = {_id: string; _type: string} & Record<string, unknown>

/** Deterministic pseudo-random numbers so runs are comparable. */
function rng(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** A review site: 10% films, 10% people, 10% reviews (with sections), 70% comments. */
function generateSite(total: number): {docs: Doc[]; slugs: string[]} {
  const random = rng(total)
  const films = Math.max(1, Math.round(total * 0.1))
  const people = Math.max(1, Math.round(total * 0.1))
  const reviews = Math.max(1, Math.round(total * 0.1))
  const comments = Math.max(0, total - films - people - reviews)
  const docs: Doc[] = []
  const slugs: string[] = []
  for (let i = 0; i < films; i++) {
    docs.push({_id: `film-${i}`, _type: 'film', title: `Film ${i}`, releaseYear: 1950 + (i % 75), director: {_type: 'reference', _ref: `person-${i % people}`}})
  }
  for (let i = 0; i < people; i++) docs.push({_id: `person-${i}`, _type: 'person', name: `Person ${i}`})
  for (let i = 0; i < reviews; i++) {
    const slug = `review-${i}`
    slugs.push(slug)
    docs.push({
      _id: `review-${i}`,
      _type: 'review',
      title: `Review ${i}`,
      slug: {_type: 'slug', current: slug},
      rating: 1 + (i % 5),
      film: {_type: 'reference', _ref: `film-${i % films}`},
      author: {_type: 'reference', _ref: `person-${i % people}`},
      sections: Array.from({length: 3}, (_, s) => ({
        _key: `s${s}`,
        _type: 'section',
        heading: `Section ${s}`,
        body: [{_key: `b${s}`, _type: 'block', children: [{_key: 'c', _type: 'span', text: `Paragraph ${s} of review ${i}.`}]}],
      })),
    })
  }
  const statuses = ['approved', 'approved', 'pending', 'rejected']
  for (let i = 0; i < comments; i++) {
    docs.push({
      _id: `comment-${i}`,
      _type: 'comment',
      review: {_type: 'reference', _ref: `review-${Math.floor(random() * reviews)}`},
      status: statuses[Math.floor(random() * statuses.length)],
      author: `Reader ${i % 97}`,
      text: `Comment ${i}`,
      createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    })
  }
  return {docs, slugs}
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

async function groqJs(dataset: readonly Doc[], params: Record<string, unknown>): Promise<unknown> {
  const value = await evaluate(parse(QUERY, {params}), {dataset, params})
  return value.get()
}

interface Row {
  size: number
  loadSeconds: number
  iterations: number
  lakeMs: number
  groqMs: number
}

async function benchSize(size: number): Promise<Row> {
  const {docs, slugs} = generateSite(size)
  const dir = mkdtempSync(join(tmpdir(), 'lake-bench-'))
  try {
    // Load through the store directly (one transaction), then serve the folder over HTTP.
    const loadStarted = performance.now()
    const store = new LakeStore(dir)
    await store.dataset('bench').transaction(docs.map((doc) => ({createOrReplace: doc})))
    store.close()
    const lake = await startLake({port: 0, dir, token: 'bench'})
    const loadSeconds = (performance.now() - loadStarted) / 1000
    try {
      const client = createClient({projectId: 'local', dataset: 'bench', apiHost: lake.url, useProjectHostname: false, apiVersion, token: lake.token, useCdn: false})
      // Plain groq-js gets exactly the stored documents (with their system fields).
      const stored = [...lake.store.dataset('bench').documents()]
      const iterations = size >= 100_000 ? 5 : size >= 10_000 ? 20 : 50
      const random = rng(7)
      const pick = () => slugs[Math.floor(random() * slugs.length)] ?? 'review-0'

      // Same answer on both sides, or the timing means nothing.
      const checkSlug = pick()
      const viaLake: unknown = await client.fetch(QUERY, {slug: checkSlug})
      const direct = JSON.parse(JSON.stringify(await groqJs(stored, {slug: checkSlug}))) as unknown
      if (!isDeepStrictEqual(viaLake, direct)) throw new Error(`lake and groq-js disagree for slug ${checkSlug}`)

      const lakeTimes: number[] = []
      const groqTimes: number[] = []
      for (let i = 0; i < iterations; i++) {
        const slug = pick()
        let started = performance.now()
        await client.fetch(QUERY, {slug})
        lakeTimes.push(performance.now() - started)
        started = performance.now()
        await groqJs(stored, {slug})
        groqTimes.push(performance.now() - started)
      }
      return {size, loadSeconds, iterations, lakeMs: median(lakeTimes), groqMs: median(groqTimes)}
    } finally {
      await lake.close()
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

async function main(): Promise<void> {
  const {values} = parseArgs({options: {sizes: {type: 'string'}, help: {type: 'boolean', short: 'h'}}, strict: true})
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return
  }
  const sizes = (values.sizes ?? '1000,10000,100000').split(',').map((s) => Number(s.trim()))
  if (sizes.some((s) => !Number.isInteger(s) || s < 4)) throw new Error(`--sizes must be integers of at least 4, comma-separated (got "${values.sizes}")`)

  const rows: Row[] = []
  for (const size of sizes) {
    process.stderr.write(`bench: ${size} documents…\n`)
    rows.push(await benchSize(size))
  }
  const fmt = (n: number) => n.toFixed(2).padStart(10)
  const out = process.stdout
  out.write('\nReview page query (review by slug + film deref + approved comments), median latency\n\n')
  out.write('| documents | load (s) | runs | lake HTTP (ms) | groq-js (ms) | lake / groq-js |\n')
  out.write('|----------:|---------:|-----:|---------------:|-------------:|---------------:|\n')
  for (const row of rows) {
    out.write(
      `| ${String(row.size).padStart(9)} | ${row.loadSeconds.toFixed(1).padStart(8)} | ${String(row.iterations).padStart(4)} | ${fmt(row.lakeMs).padStart(14)} | ${fmt(row.groqMs).padStart(12)} | ${(row.lakeMs / row.groqMs).toFixed(2).padStart(14)} |\n`,
    )
  }
  out.write('\nlake = @sanity/client → HTTP → lake (indexed `_type`/equality candidates, O(1) deref); groq-js = evaluate() over a plain array.\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-lake: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
