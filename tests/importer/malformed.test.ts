import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ImportError, importReview} from '../../importer/index'
import {runSeed as run} from '../../importer/command'
import {FakeDataset, testDeps} from './fakes'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seed-malformed-'))
})
afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

const lines = (...items: string[]) => items.join('\n')
const HEAD = ['Her (2013)', '', 'Published: Aug 8, 2014', '', 'A logline.', '', 'Genre Drama', 'Director Spike Jonze', '']
const BODY = ['A title', '', 'An intro paragraph.', '', 'A Heading', '', 'A body paragraph.', '', '»Return to user reviews', '', 'Discuss Her below:']
const VALID = lines(...HEAD, ...BODY)

/** Runs the command on `content` both ways and checks it fails with `message` and writes nothing. */
async function expectRejected(content: string | Uint8Array, message: (file: string) => string): Promise<void> {
  const file = join(dir, 'review.txt')
  writeFileSync(file, content)
  const out = join(dir, 'review.ndjson')
  const toFile = testDeps()
  expect(await run({file, out, dryRun: false}, toFile.deps)).toBe(1)
  expect(toFile.stderr()).toBe(`error: ${message(file)}\n`)
  expect(toFile.stdout()).toBe('')
  expect(readdirSync(dir)).toStrictEqual(['review.txt'])

  const dataset = new FakeDataset()
  const toDataset = testDeps(dataset)
  expect(await run({file, dryRun: false}, toDataset.deps)).toBe(1)
  expect(toDataset.stderr()).toBe(`error: ${message(file)}\n`)
  expect(dataset.commits).toStrictEqual([])
  expect(dataset.queries).toBe(0)
}

describe('malformed review files', () => {
  it('accept the minimal valid template these cases start from', () => {
    expect(importReview(VALID, {fileName: 'x.txt'}).review.sections).toHaveLength(1)
  })

  it('reject an empty file', async () => {
    await expectRejected('', (file) => `${file}:1: empty file: expected a review starting with "Title (YYYY)"`)
  })

  it('reject a file of blank lines as empty', async () => {
    await expectRejected('\r\n  \n\t\n', (file) => `${file}:1: empty file: expected a review starting with "Title (YYYY)"`)
  })

  it('reject bytes that are not UTF-8, naming the first bad line', async () => {
    const latin1 = Buffer.concat([Buffer.from(lines(...HEAD.slice(0, 4)) + '\n'), Buffer.from('Caf\xe9 society.\n', 'latin1')])
    await expectRejected(latin1, (file) => `${file}:5: not UTF-8 text: the file has bytes that are not valid UTF-8`)
  })

  it('reject binary data with NUL bytes', async () => {
    await expectRejected('Her (2013)\n\u0000\u0001', (file) => `${file}:2: not UTF-8 text: the file contains NUL bytes (binary data?)`)
  })

  it('reject a file without the title line', async () => {
    await expectRejected(lines(...HEAD.slice(2), ...BODY), (file) => `${file}:1: missing the title line: the file should start with "Title (YYYY)"`)
  })

  it('reject a title without a year', async () => {
    await expectRejected(lines('Her', ...HEAD.slice(1), ...BODY), (file) => `${file}:1: missing the year in the title line "Her" (expected "Title (YYYY)")`)
  })

  it('reject a year without a title', async () => {
    await expectRejected(lines('(2013)', ...HEAD.slice(1), ...BODY), (file) => `${file}:1: missing the film title before the year in "(2013)"`)
  })

  it('reject an impossible year', async () => {
    await expectRejected(lines('Her (1066)', ...HEAD.slice(1), ...BODY), (file) => `${file}:1: impossible year 1066 in the title line (films are from 1888 to ${new Date().getFullYear() + 6})`)
  })

  it('reject an impossible Published date', async () => {
    const text = VALID.replace('Aug 8, 2014', 'Feb 30, 2014')
    await expectRejected(text, (file) => `${file}:3: impossible date "Feb 30, 2014" in the Published line`)
  })

  it('reject an impossible Updated date, but accept a leap day', async () => {
    expect(importReview(VALID.replace('Aug 8, 2014', 'Feb 29, 2024'), {}).review.publishedOn).toBe('2024-02-29')
    const text = VALID.replace('Aug 8, 2014', 'Aug 8, 2014 |Updated: Feb 29, 2023')
    await expectRejected(text, (file) => `${file}:3: impossible date "Feb 29, 2023" in the Updated part of the Published line`)
  })

  it('reject an unreadable date and an update before publication', async () => {
    await expectRejected(
      VALID.replace('Aug 8, 2014', '8/8/2014'),
      (file) => `${file}:3: unreadable date "8/8/2014" in the Published line (expected e.g. "Aug 8, 2014", "August 8, 2014", "8 August 2014" or "2014-08-08")`,
    )
    await expectRejected(
      VALID.replace('Aug 8, 2014', 'Aug 8, 2014 |Updated: Aug 7, 2014'),
      (file) => `${file}:3: the Updated date 2014-08-07 is before the Published date 2014-08-08`,
    )
  })

  it('reject a missing Published line', async () => {
    await expectRejected(lines(HEAD[0]!, '', ...HEAD.slice(4), ...BODY), (file) => `${file}:3: missing the "Published: Mon D, YYYY" line after the title, found "A logline."`)
  })

  it('reject a review title without a body', async () => {
    await expectRejected(lines(...HEAD, 'A title', '', '»Return to user reviews', '', 'Discuss Her below:'), (file) => `${file}:10: no review body after the review title "A title"`)
  })

  it('reject a file that ends after the film details', async () => {
    await expectRejected(lines(...HEAD), (file) => `${file}:8: no review: expected the review title and body after the film details`)
  })

  it('reject a body without any section heading', async () => {
    await expectRejected(
      lines(...HEAD, 'A title', '', 'Only one paragraph.', '', '»Return to user reviews'),
      (file) => `${file}:10: no section headings in the review "A title" (a heading is a short line without end punctuation, followed by paragraphs)`,
    )
  })

  it('reject an unknown genre', async () => {
    await expectRejected(VALID.replace('Genre Drama', 'Genre Drama, Mumblecore'), (file) => `${file}:7: unknown genre "Mumblecore" in the Genre line (known: Action, Adventure, Animation, Biography, Comedy, Crime, Documentary, Drama, Family, Fantasy, History, Horror, Music, Musical, Mystery, Romance, Science Fiction, Thriller, War, Western)`)
  })

  it('reject a missing file', async () => {
    const file = join(dir, 'nope.txt')
    const io = testDeps()
    expect(await run({file, out: join(dir, 'nope.ndjson'), dryRun: false}, io.deps)).toBe(1)
    expect(io.stderr()).toBe(`error: ${file}: no such file\n`)
    expect(readdirSync(dir)).toStrictEqual([])
  })

  it('throw ImportError carrying the file, line and problem to library callers', () => {
    const error = (() => {
      try {
        importReview(VALID.replace('Aug 8, 2014', 'Feb 30, 2014'), {fileName: 'seed/x.txt'})
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(ImportError)
    expect(error).toMatchObject({
      fileName: 'seed/x.txt',
      line: 3,
      problem: 'impossible date "Feb 30, 2014" in the Published line',
      message: 'seed/x.txt:3: impossible date "Feb 30, 2014" in the Published line',
    })
  })
})
