import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {promisify} from 'node:util'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {importReview, parseFacts, toNdjson} from '../../importer/index'
import {DEFAULT_REVIEW_FILE, runSeed as run, sanityDatasetClient} from '../../importer/command'
import herFacts from '../../seed/her-2013.facts'
import {FakeDataset, testDeps} from './fakes'
import {ARRIVAL_FILE, HER_FACTS_FILE, HER_FILE, readText} from './support'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-test-'))
})
afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

const POSTER_FILE = resolve('seed/her-2013-poster.jpg')
const POSTER_SHA1 = createHash('sha1').update(readFileSync(POSTER_FILE)).digest('hex')
const POSTER_ALT = 'Poster: the word “her” under a glowing earpiece on a coral-to-orange sky, with the line “A love story · 2013”'

/** What the seed writes for Her: the imported documents, the film with its poster as a file for `sanity dataset import`. */
const herNdjson = () =>
  toNdjson(
    importReview(readText(HER_FILE), {fileName: HER_FILE, facts: parseFacts(herFacts)}).documents.map((document) =>
      document._id === 'film-her-2013' ? {...document, poster: {_type: 'image', _sanityAsset: `image@file://${POSTER_FILE}`, alt: POSTER_ALT}} : document,
    ),
  )
const WROTE_HER = (out: string) => `Wrote 20 documents to ${out} (1 image field names a local file as _sanityAsset; "sanity dataset import" uploads it)\n`

describe('seed --out (NDJSON)', () => {
  it('writes the documents as NDJSON without contacting a dataset, finding the facts by convention', async () => {
    const out = join(dir, 'nested', 'her.ndjson')
    const io = testDeps()
    expect(await run({file: HER_FILE, out, dryRun: false}, io.deps)).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(herNdjson())
    expect(io.clientsCreated()).toBe(0)
    expect(io.stdout()).toBe(`Using film facts from ${HER_FACTS_FILE}\n${WROTE_HER(out)}`)
    expect(readdirSync(join(dir, 'nested'))).toStrictEqual(['her.ndjson'])
  })

  it('writes byte-identical files on two runs', async () => {
    const first = join(dir, 'first.ndjson')
    const second = join(dir, 'second.ndjson')
    await run({file: HER_FILE, out: first, dryRun: false}, testDeps().deps)
    await run({file: HER_FILE, out: second, dryRun: false}, testDeps().deps)
    expect(readFileSync(second)).toStrictEqual(readFileSync(first))
  })

  it('uses --facts when given, and imports a review that has no facts file', async () => {
    const withFacts = join(dir, 'arrival-facts.ndjson')
    const factsFile = join(dir, 'arrival.facts.json.ts')
    writeFileSync(factsFile, `export default {film: {title: 'Arrival', releaseYear: 2016}, genres: ['mystery']}\n`)
    expect(await run({file: ARRIVAL_FILE, facts: factsFile, out: withFacts, dryRun: false}, testDeps().deps)).toBe(0)
    expect(readFileSync(withFacts, 'utf8')).toContain('"genres":["drama","science-fiction","mystery"]')

    const plain = join(dir, 'arrival.ndjson')
    const io = testDeps()
    expect(await run({file: ARRIVAL_FILE, out: plain, dryRun: false}, io.deps)).toBe(0)
    expect(io.stdout()).not.toContain('facts')
    expect(readFileSync(plain, 'utf8')).toBe(toNdjson(importReview(readText(ARRIVAL_FILE), {fileName: ARRIVAL_FILE}).documents))
  })

  it('refuses facts for another film or with invalid fields, naming the facts file', async () => {
    const out = join(dir, 'x.ndjson')
    const io = testDeps()
    expect(await run({file: ARRIVAL_FILE, facts: HER_FACTS_FILE, out, dryRun: false}, io.deps)).toBe(1)
    expect(io.stderr()).toBe(
      `error: ${ARRIVAL_FILE}:1: the film facts are for "Her (2013)", not "Arrival (2016)"\n`,
    )
    const bad = join(dir, 'bad.facts.ts')
    writeFileSync(bad, `export default {film: {title: 'Arrival', releaseYear: 2016}, genres: ['space opera'], crew: [{person: 'X', job: 'gaffer'}]}\n`)
    const io2 = testDeps()
    expect(await run({file: ARRIVAL_FILE, facts: bad, out, dryRun: false}, io2.deps)).toBe(1)
    expect(io2.stderr()).toMatch(new RegExp(`^error: ${bad}: invalid film facts: genres\\.0: .*; crew\\.0\\.job: .*\\n$`))
    expect(readdirSync(dir).filter((name) => name.endsWith('.ndjson'))).toStrictEqual([])
  })

  it('with --dry-run compares with the existing file and leaves it alone', async () => {
    const out = join(dir, 'her.ndjson')
    // An older export: the film's title differs and one person is missing.
    const existing = herNdjson()
      .replace('"title":"Her"', '"title":"Her!"')
      .split('\n')
      .filter((line) => !line.startsWith('{"_id":"person-vincent-landay"'))
      .join('\n')
    writeFileSync(out, existing)
    const io = testDeps()
    expect(await run({file: HER_FILE, out, dryRun: true}, io.deps)).toBe(0)
    const lines = io.stdout().split('\n')
    expect(lines).toContain('would create   person-vincent-landay')
    expect(lines).toContain('would replace  film-her-2013')
    expect(lines).toContain('unchanged      review-her-2013-falling-in-love-with-ai')
    expect(lines.filter((line) => line.startsWith('unchanged'))).toHaveLength(18)
    expect(readFileSync(out, 'utf8')).toBe(existing)
  })

  it('leaves neither a partial file nor a temp file when the final rename fails', async () => {
    const out = join(dir, 'her.ndjson')
    const io = testDeps(undefined, {
      rename: async () => {
        throw new Error('disk full')
      },
    })
    await expect(run({file: HER_FILE, out, dryRun: false}, io.deps)).rejects.toThrow('disk full')
    expect(readdirSync(dir)).toStrictEqual([])
  })
})

describe('seed to a dataset', () => {
  it('creates every document in one transaction the first time', async () => {
    const dataset = new FakeDataset()
    const io = testDeps(dataset)
    expect(await run({file: HER_FILE, dryRun: false}, io.deps)).toBe(0)
    expect(dataset.commits).toHaveLength(1)
    expect(dataset.writtenIds(0)).toStrictEqual(
      herNdjson()
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as {_id: string})._id),
    )
    expect(io.stdout()).toContain('Wrote 20 of 20 documents to local lake local, dataset test in one transaction.\n')
    // The poster the facts name went up through the assets API first, and the film shows it.
    expect(dataset.uploads).toStrictEqual([`image-${POSTER_SHA1}-1x1-jpg`])
    expect(io.stdout()).toContain(`uploaded   image-${POSTER_SHA1}-1x1-jpg from seed/her-2013-poster.jpg\n`)
    expect(dataset.documents.get('film-her-2013')?.poster).toStrictEqual({_type: 'image', asset: {_type: 'reference', _ref: `image-${POSTER_SHA1}-1x1-jpg`}, alt: POSTER_ALT})
  })

  it('changes nothing when the same text is imported again', async () => {
    const dataset = new FakeDataset()
    await run({file: HER_FILE, dryRun: false}, testDeps(dataset).deps)
    const before = JSON.stringify([...dataset.documents])
    const io = testDeps(dataset)
    expect(await run({file: HER_FILE, dryRun: false}, io.deps)).toBe(0)
    expect(dataset.commits).toHaveLength(1)
    expect(JSON.stringify([...dataset.documents])).toBe(before)
    // 20 documents and the poster's asset; the same bytes found again are not uploaded again.
    expect(dataset.documents.size).toBe(21)
    expect(dataset.uploads).toHaveLength(1)
    expect(io.stdout()).toContain(`unchanged  image-${POSTER_SHA1}-1x1-jpg from seed/her-2013-poster.jpg\n`)
    expect(io.stdout()).toContain('Everything in local lake local, dataset test is already up to date.\n')
  })

  it('replaces only the documents that differ from what is stored', async () => {
    const dataset = new FakeDataset()
    await run({file: HER_FILE, dryRun: false}, testDeps(dataset).deps)
    const film = dataset.documents.get('film-her-2013')!
    dataset.documents.set('film-her-2013', {...film, title: 'Her (edited)'})
    dataset.documents.delete('person-brian-cox')
    const io = testDeps(dataset)
    expect(await run({file: HER_FILE, dryRun: false}, io.deps)).toBe(0)
    expect(dataset.writtenIds(1)).toStrictEqual(['person-brian-cox', 'film-her-2013'])
    expect(dataset.documents.get('film-her-2013')!.title).toBe('Her')
    expect(io.stdout()).toContain('created    person-brian-cox\n')
    expect(io.stdout()).toContain('replaced   film-her-2013\n')
    expect(io.stdout()).toContain('unchanged  person-amy-adams\n')
  })

  it('with --dry-run prints create, replace or unchanged per document and commits nothing', async () => {
    const dataset = new FakeDataset()
    await run({file: HER_FILE, dryRun: false}, testDeps(dataset).deps)
    const review = dataset.documents.get('review-her-2013-falling-in-love-with-ai')!
    dataset.documents.set(review._id as string, {...review, containsSpoilers: false})
    dataset.documents.delete('person-spike-jonze')
    const io = testDeps(dataset)
    expect(await run({file: HER_FILE, dryRun: true}, io.deps)).toBe(0)
    expect(dataset.commits).toHaveLength(1)
    const lines = io.stdout().split('\n')
    expect(lines).toContain('would create   person-spike-jonze')
    expect(lines).toContain('would replace  review-her-2013-falling-in-love-with-ai')
    expect(lines).toContain(`unchanged      image-${POSTER_SHA1}-1x1-jpg from seed/her-2013-poster.jpg`)
    expect(lines.filter((line) => line.startsWith('unchanged ') && !line.includes('image-'))).toHaveLength(18)
    expect(io.stdout()).toContain('Dry run: nothing was written to local lake local, dataset test.\n')
  })

  it('explains how to start the lake when it cannot be reached', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3434'), {code: 'ECONNREFUSED'})
    const dataset = new FakeDataset()
    dataset.fetch = async () => {
      throw refused
    }
    const io = testDeps(dataset)
    expect(await run({file: HER_FILE, dryRun: false}, io.deps)).toBe(1)
    expect(io.stderr()).toContain('cannot reach the local lake at http://127.0.0.1:1 (ECONNREFUSED)')
    expect(io.stderr()).toContain('npm run lake')
    expect(io.stderr()).toContain('npm start')
    expect(dataset.commits).toHaveLength(0)
  })

  it('gives the same advice with the real client when nothing listens on the lake port', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address()
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
      })
    })
    const io = testDeps(undefined, {
      target: () => ({kind: 'lake', projectId: 'local', dataset: 'production', token: 't', apiHost: `http://127.0.0.1:${port}`}),
      createClient: sanityDatasetClient,
    })
    expect(await run({file: HER_FILE, dryRun: false}, io.deps)).toBe(1)
    expect(io.stderr()).toMatch(/^error: cannot reach the local lake at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Start it with "npm run lake" \(or "npm start"/)
  })
})

// Spawning node with tsx takes a second or more; allow for a busy machine.
describe('the seed entry point (scripts/seed.ts, run as a process)', {timeout: 60_000}, () => {
  const exec = promisify(execFile)
  const seed = (args: string[]) =>
    exec(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', ...args], {env: {...process.env, SANITY_PROJECT_ID: '', CI: ''}}).then(
      ({stdout, stderr}) => ({code: 0, stdout, stderr}),
      (error: {code: number; stdout: string; stderr: string}) => ({code: error.code, stdout: error.stdout, stderr: error.stderr}),
    )

  it('prints usage naming every option for --help and exits 0', async () => {
    const help = await seed(['--help'])
    expect(help.code).toBe(0)
    expect(help.stderr).toBe('')
    expect(help.stdout).toMatch(/^Usage: npm run seed -- /)
    for (const option of ['--file', '--dir', '--facts', '--out', '--dry-run', '--help']) expect(help.stdout).toContain(option)
  })

  it('imports the Her review with its facts by default', async () => {
    const out = join(dir, 'her.ndjson')
    expect(await seed(['--out', out])).toStrictEqual({
      code: 0,
      stdout: `Using film facts from ${HER_FACTS_FILE}\n${WROTE_HER(out)}`,
      stderr: '',
    })
    expect(readFileSync(out, 'utf8')).toBe(herNdjson())
  })

  it('exits 1 naming the file and line for malformed input', async () => {
    const file = join(dir, 'bad.txt')
    const out = join(dir, 'bad.ndjson')
    writeFileSync(file, 'Her (2013)\n\nPublished: Feb 30, 2014\n')
    expect(await seed(['--file', file, '--out', out])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${file}:3: impossible date "Feb 30, 2014" in the Published line\n`,
    })
    expect(readdirSync(dir)).toStrictEqual(['bad.txt'])
  })

  it('exits 2 with the usage for an unknown option, a stray argument, --file with --dir, and --facts with --dir', async () => {
    const cases: Array<[string[], string]> = [
      [['--frobnicate'], "error: Unknown option '--frobnicate'"],
      [['stray.txt'], 'error: unexpected argument "stray.txt"'],
      [['--file', 'a.txt', '--dir', 'b'], 'error: give --file or --dir, not both'],
      [['--dir', 'b', '--facts', 'b.facts.ts'], 'error: --facts goes with --file; in a folder each review uses <film-slug>.facts.ts next to it'],
      [['--out', ''], 'error: --out needs a path'],
    ]
    const results = await Promise.all(cases.map(([args]) => seed(args)))
    results.forEach((result, index) => {
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr.split('\n')[0]).toContain(cases[index]![1])
      expect(result.stderr).toContain('Usage: npm run seed')
    })
  })
})
