import {createHash} from 'node:crypto'
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {PassThrough} from 'node:stream'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runSeed} from '../../importer/command'
import {barProgress} from '../../importer/progress'
import type {FilmDocument, PersonDocument} from '../../importer/index'
import {FakeDataset, testDeps} from './fakes'
import {ARRIVAL_FILE, HER_FILE} from './support'

const CORPUS = 'tests/fixtures/reviews'
const corpusFiles = readdirSync(CORPUS).filter((name) => name.endsWith('.txt')).sort()
const expectedError = (name: string): string | undefined => {
  const expected = JSON.parse(readFileSync(join(CORPUS, 'expected', `${basename(name, '.txt')}.json`), 'utf8')) as {error?: string}
  return expected.error
}
const failing = corpusFiles.filter((name) => expectedError(name) !== undefined)
const passing = corpusFiles.filter((name) => expectedError(name) === undefined)

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-dir-'))
})
afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

/** A minimal review in the site's format. */
function review(options: {film: string; year: number; title: string; details: string[]; body?: string[]}): string {
  return [
    `${options.film} (${options.year})`,
    '',
    'Published: Jan 2, 2020',
    '',
    ...options.details,
    '',
    options.title,
    '',
    ...(options.body ?? ['An intro paragraph.', '', 'A Heading', '', 'A paragraph.']),
    '',
    '»Return to user reviews',
  ].join('\n')
}

describe('npm run seed -- --dir <folder>', () => {
  it('imports every good review of the corpus in its own transaction and reports each bad one with its line', async () => {
    const dataset = new FakeDataset()
    const io = testDeps(dataset)
    expect(await runSeed({dir: CORPUS, dryRun: false}, io.deps)).toBe(1)

    // One "error: file:line: problem" line per bad file, in file order, and nothing else on stderr.
    expect(io.stderr()).toBe(failing.map((name) => `error: ${expectedError(name)}\n`).join(''))
    const out = io.stdout().split('\n')
    expect(out.filter((line) => line.startsWith(CORPUS)).map((line) => line.split(':')[0])).toStrictEqual(passing.map((name) => join(CORPUS, name)))
    // A bad file wrote nothing: each good file is one transaction.
    expect(dataset.commits).toHaveLength(passing.length)
    const reviews = [...dataset.documents.values()].filter((document) => document._type === 'review')
    expect(reviews).toHaveLength(passing.length)
    const documents = dataset.documents.size
    expect(out.at(-2)).toBe(`Summary: ${documents} created, 0 replaced, 0 unchanged, ${failing.length} failed (${corpusFiles.length} files in 0.0 s)`)

    // A second run finds everything up to date, and still reports the bad files.
    const again = testDeps(dataset)
    expect(await runSeed({dir: CORPUS, dryRun: false}, again.deps)).toBe(1)
    expect(dataset.commits).toHaveLength(passing.length)
    expect(again.stdout()).toContain(`Summary: 0 created, 0 replaced, ${documents} unchanged, ${failing.length} failed`)
  })

  it('exits 0 when every review imports, and makes a person shared by two films one document credited in both', async () => {
    copyFileSync(HER_FILE, join(dir, 'her.txt'))
    copyFileSync(ARRIVAL_FILE, join(dir, 'arrival.txt'))
    const dataset = new FakeDataset()
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: false}, io.deps)).toBe(0)
    expect(io.stderr()).toBe('')
    const amy = [...dataset.documents.values()].filter((document) => document._type === 'person' && document.name === 'Amy Adams')
    expect(amy.map((document) => document._id)).toStrictEqual(['person-amy-adams'])
    const crediting = [...dataset.documents.values()]
      .filter((document): document is typeof document & FilmDocument => document._type === 'film')
      .filter((film) => film.cast.some((member) => member.person._ref === 'person-amy-adams'))
      .map((film) => film._id)
      .sort()
    expect(crediting).toStrictEqual(['film-arrival-2016', 'film-her-2013'])
    // Her's facts (seed/her-2013.facts.ts) were found by the film's slug.
    expect(dataset.documents.get('person-scarlett-johansson')).toMatchObject({aliases: ['Scarlet Johansson']})
    expect(io.stdout()).toBe(
      [
        `${join(dir, 'arrival.txt')}: 6 documents (6 created, 0 replaced, 0 unchanged)`,
        // The poster Her's facts name (relative to seed/her-2013.facts.ts) is uploaded for Her's transaction.
        `uploaded   image-${createHash('sha1').update(readFileSync('seed/her-2013-poster.jpg')).digest('hex')}-1x1-jpg from seed/her-2013-poster.jpg`,
        // Amy Adams was written with Arrival: the Her transaction leaves her out.
        `${join(dir, 'her.txt')}: 19 documents (19 created, 0 replaced, 0 unchanged)`,
        'Summary: 25 created, 0 replaced, 0 unchanged, 0 failed (2 files in 0.0 s)',
        '',
      ].join('\n'),
    )
  })

  it('merges two spellings of one name into one person, keeping the first as the name', async () => {
    writeFileSync(join(dir, 'a.txt'), review({film: 'Mother', year: 2009, title: 'One', details: ['Genre Drama', 'Director Bong Joon-ho']}))
    writeFileSync(join(dir, 'b.txt'), review({film: 'Okja', year: 2017, title: 'Two', details: ['Genre Adventure', 'Director Bong Joon Ho']}))
    const dataset = new FakeDataset()
    expect(await runSeed({dir, dryRun: false}, testDeps(dataset).deps)).toBe(0)
    const people = [...dataset.documents.values()].filter((document) => document._type === 'person')
    expect(people.map(({_id, name, aliases}) => ({_id, name, aliases}))).toStrictEqual([
      {_id: 'person-bong-joon-ho', name: 'Bong Joon-ho', aliases: ['Bong Joon Ho']},
    ])
  })

  it('combines two reviews of one film into one film, and refuses a review that contradicts an earlier one', async () => {
    const details = ['Genre Drama', 'Director Ines Marlowe', 'Female actors Ada Fenwick']
    writeFileSync(
      join(dir, 'a.txt'),
      review({film: 'Quiet Harbour', year: 2021, title: 'First look', details: [...details, 'Runtime 98 min'], body: ['Intro.', '', 'Harbour', '', 'Maren (played by Ada Fenwick) walks.']}),
    )
    writeFileSync(
      join(dir, 'b.txt'),
      review({film: 'Quiet Harbour', year: 2021, title: 'Second look', details: [...details, 'Male actors Jon Aaberg'], body: ['Intro.', '', 'Harbour', '', 'Piet (played by Jon Aaberg) sails.']}),
    )
    writeFileSync(join(dir, 'c.txt'), review({film: 'Quiet Harbour', year: 2021, title: 'Third look', details: [...details, 'Runtime 102 min']}))
    const dataset = new FakeDataset()
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: false}, io.deps)).toBe(1)
    expect(io.stderr()).toBe(
      `error: ${join(dir, 'c.txt')}: the film Quiet Harbour (2021) has runtimeMinutes 102 here but 98 in ${join(dir, 'a.txt')}; make them agree (or set it in the film's facts file)\n`,
    )
    const film = dataset.documents.get('film-quiet-harbour-2021') as unknown as FilmDocument
    expect(film.runtimeMinutes).toBe(98)
    expect(film.cast.map((member) => [member.person._ref, member.characterName])).toStrictEqual([
      ['person-ada-fenwick', 'Maren'],
      ['person-jon-aaberg', 'Piet'],
    ])
    expect([...dataset.documents.keys()].filter((id) => id.startsWith('review-')).sort()).toStrictEqual([
      'review-quiet-harbour-2021-first-look',
      'review-quiet-harbour-2021-second-look',
    ])
  })

  it('with --out writes one NDJSON of every good review, each document once, and contacts no dataset', async () => {
    const out = join(dir, 'all.ndjson')
    const io = testDeps()
    expect(await runSeed({dir: CORPUS, out, dryRun: false}, io.deps)).toBe(1)
    expect(io.clientsCreated()).toBe(0)
    const documents = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {_id: string; _type: string})
    const ids = documents.map((document) => document._id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(documents.filter((document) => document._type === 'review')).toHaveLength(passing.length)
    // People first (by id), then films, then reviews: what `sanity dataset import` reads best.
    const types = documents.map((document) => document._type)
    expect(types).toStrictEqual([...types].sort((a, b) => ['person', 'film', 'review'].indexOf(a) - ['person', 'film', 'review'].indexOf(b)))
    expect(io.stdout()).toContain(`Wrote ${documents.length} documents from ${passing.length} of ${corpusFiles.length} files to ${out}\n`)
  })

  it('with --dry-run lists what would be created and writes nothing', async () => {
    copyFileSync(ARRIVAL_FILE, join(dir, 'arrival.txt'))
    const dataset = new FakeDataset()
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: true}, io.deps)).toBe(0)
    expect(dataset.commits).toStrictEqual([])
    expect(io.stdout()).toBe(
      [
        'would create   person-amy-adams',
        'would create   person-denis-villeneuve',
        'would create   person-forest-whitaker',
        'would create   person-jeremy-renner',
        'would create   film-arrival-2016',
        'would create   review-arrival-2016-time-is-a-language',
        `${join(dir, 'arrival.txt')}: 6 documents (6 would create, 0 would replace, 0 unchanged)`,
        'Summary: 6 would create, 0 would replace, 0 unchanged, 0 failed (1 file in 0.0 s)',
        'Dry run: nothing was written to local lake local, dataset test.',
        '',
      ].join('\n'),
    )
  })

  it('keeps what editors added to imported documents and leaves their drafts alone', async () => {
    copyFileSync(ARRIVAL_FILE, join(dir, 'arrival.txt'))
    const dataset = new FakeDataset()
    await runSeed({dir, dryRun: false}, testDeps(dataset).deps)
    const poster = {_type: 'image', asset: {_type: 'reference', _ref: 'image-abc-100x100-jpg'}, alt: 'Poster'}
    const bio = [{_type: 'block', _key: 'b', style: 'normal', markDefs: [], children: [{_type: 'span', _key: 's', text: 'Actor.', marks: []}]}]
    await dataset.mutate([
      {patch: {id: 'film-arrival-2016', set: {poster, title: 'Arrival (edited)'}}},
      {patch: {id: 'person-amy-adams', set: {bio, name: 'Amy Lou Adams'}}},
      {create: {_id: 'drafts.film-arrival-2016', _type: 'film', title: 'Arrival (draft)'}},
    ])
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: false}, io.deps)).toBe(0)
    // The film's imported title is restored, its poster kept; the person keeps the editor's name and bio.
    expect(dataset.documents.get('film-arrival-2016')).toMatchObject({title: 'Arrival', poster})
    const amy = dataset.documents.get('person-amy-adams') as unknown as PersonDocument & {bio: unknown}
    expect({name: amy.name, aliases: amy.aliases, bio: amy.bio}).toStrictEqual({name: 'Amy Lou Adams', aliases: ['Amy Adams'], bio})
    expect(dataset.documents.get('drafts.film-arrival-2016')).toMatchObject({title: 'Arrival (draft)'})
    expect(io.stdout()).toContain(
      "note: drafts.film-arrival-2016 (an editor's unpublished changes) was left as it is; publishing it would undo this import's changes to film-arrival-2016\n",
    )
    expect(io.stdout()).toContain('Summary: 0 created, 2 replaced, 4 unchanged, 0 failed')
  })

  it('fails a review whose document an editor changed between reading and writing, and writes nothing of it', async () => {
    copyFileSync(ARRIVAL_FILE, join(dir, 'arrival.txt'))
    const dataset = new FakeDataset()
    await runSeed({dir, dryRun: false}, testDeps(dataset).deps)
    await dataset.mutate([{patch: {id: 'film-arrival-2016', set: {title: 'Arrival!'}}}])
    const fetch = dataset.fetch.bind(dataset)
    dataset.fetch = async <R>(query: string, params: Record<string, unknown>): Promise<R> => {
      const result = await fetch<R>(query, params)
      // An editor publishes right after the import read the film.
      await dataset.mutate([{patch: {id: 'film-arrival-2016', set: {logline: 'Edited meanwhile.'}}}])
      return result
    }
    const before = JSON.stringify([...dataset.documents])
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: false}, io.deps)).toBe(1)
    expect(io.stderr()).toMatch(/^error: .*arrival\.txt: a document changed in dataset test while this import ran \(document film-arrival-2016 has revision rev\d+, not rev\d+\)\. Run the seed again\. Nothing of this review was written\.\n$/)
    // Only the editor's write happened.
    const after = new Map(dataset.documents)
    expect(after.get('film-arrival-2016')).toMatchObject({title: 'Arrival!', logline: 'Edited meanwhile.'})
    expect(JSON.stringify([...after].filter(([id]) => id !== 'film-arrival-2016'))).toBe(
      JSON.stringify((JSON.parse(before) as Array<[string, unknown]>).filter(([id]) => id !== 'film-arrival-2016')),
    )
  })

  it('refuses a folder that does not exist or holds no review, and --facts with --dir', async () => {
    const missing = testDeps(new FakeDataset())
    expect(await runSeed({dir: join(dir, 'nope'), dryRun: false}, missing.deps)).toBe(1)
    expect(missing.stderr()).toBe(`error: ${join(dir, 'nope')}: no such folder\n`)
    mkdirSync(join(dir, 'empty'))
    writeFileSync(join(dir, 'empty', 'notes.md'), '# not a review')
    const empty = testDeps(new FakeDataset())
    expect(await runSeed({dir: join(dir, 'empty'), dryRun: false}, empty.deps)).toBe(1)
    expect(empty.stderr()).toBe(`error: ${join(dir, 'empty')}: no review files (*.txt) in this folder\n`)
    const facts = testDeps(new FakeDataset())
    expect(await runSeed({dir, facts: 'x.facts.ts', dryRun: false}, facts.deps)).toBe(2)
  })

  it('stops writing once the dataset cannot be reached, reporting every remaining file', async () => {
    copyFileSync(HER_FILE, join(dir, 'her.txt'))
    copyFileSync(ARRIVAL_FILE, join(dir, 'arrival.txt'))
    const dataset = new FakeDataset()
    let attempts = 0
    dataset.fetch = async () => {
      attempts++
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'})
    }
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: false}, io.deps)).toBe(1)
    expect(attempts).toBe(1)
    const errors = io.stderr().trim().split('\n')
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatch(/^error: .*arrival\.txt: cannot reach the local lake at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/)
    expect(errors[1]).toMatch(/^error: .*her\.txt: not imported: cannot reach the local lake/)
  })
})

describe('the progress display', () => {
  it('draws a bar with files, documents, elapsed time and rate on a terminal, and prints notes and failures after it', () => {
    const stream = Object.assign(new PassThrough(), {isTTY: true, columns: 120})
    let drawn = ''
    stream.on('data', (chunk: Buffer) => {
      drawn += chunk.toString('utf8')
    })
    let errors = ''
    let clock = 0
    let notes = ''
    const progress = barProgress(stream, 4, {stdout: (text) => (notes += text), stderr: (text) => (errors += text)}, () => clock)
    clock = 1000
    progress.file({fileName: 'a.txt', ok: true, documents: 5, summary: ''})
    clock = 2000
    progress.file({fileName: 'b.txt', ok: false, error: 'b.txt:3: unreadable date'})
    progress.note('would create   person-x\n')
    progress.file({fileName: 'c.txt', ok: true, documents: 3, summary: ''})
    progress.file({fileName: 'd.txt', ok: true, documents: 2, summary: ''})
    progress.done()
    // Drawn in place: carriage control, no newline per file.
    const plain = drawn.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    expect(plain).toContain('4/4 files | 10 documents | 2.0 s | 2.0 files/s | 1 failed')
    expect(drawn.split('\n').length).toBeLessThanOrEqual(3)
    expect(errors).toBe('error: b.txt:3: unreadable date\n')
    expect(notes).toBe('would create   person-x\n')
  })
})
