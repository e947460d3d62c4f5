import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runSeed} from '../../importer/command'
import {syntheticReviews} from '../../importer/synthetic'
import {validateDocuments} from '../helpers/validate'
import {FakeDataset, testDeps} from './fakes'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'synthetic-'))
})
afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

describe('generated reviews (the import benchmark’s input)', () => {
  it('are the same for the same seed and differ for another', () => {
    expect(syntheticReviews(5, 7)).toStrictEqual(syntheticReviews(5, 7))
    expect(syntheticReviews(5, 7)).not.toStrictEqual(syntheticReviews(5, 8))
  })

  it('all import, share people and films between reviews, and pass Sanity’s validation', async () => {
    for (const review of syntheticReviews(40)) writeFileSync(join(dir, review.name), review.text)
    const dataset = new FakeDataset()
    const io = testDeps(dataset)
    expect(await runSeed({dir, dryRun: false}, io.deps)).toBe(0)
    expect(io.stderr()).toBe('')
    const documents = [...dataset.documents.values()]
    const count = (type: string) => documents.filter((document) => document._type === type).length
    expect(count('review')).toBe(40)
    expect(count('film')).toBe(16)
    expect(count('person')).toBeLessThan(40)
    const markers = await validateDocuments(documents as never)
    expect(markers).toStrictEqual([])
  })
})
