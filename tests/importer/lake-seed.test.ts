import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {defaultSeedDeps, runSeed} from '../../importer/command'
import {startTestLake, type TestLake} from '../helpers/lake'

let t: TestLake
beforeAll(async () => {
  t = await startTestLake('seeded')
})
afterAll(() => t?.close())

/** The seed command against a real lake, capturing what it prints. */
async function seed(dryRun = false) {
  let out = ''
  const code = await runSeed(
    {file: 'seed/her-2013-user-review.txt', dryRun},
    {
      ...defaultSeedDeps(),
      target: () => ({kind: 'lake', projectId: 'local', dataset: 'seeded', token: t.lake.token, apiHost: t.lake.url}),
      stdout: (text) => {
        out += text
      },
      stderr: (text) => {
        out += text
      },
    },
  )
  return {code, out}
}

const snapshot = () =>
  t.client.fetch<Array<{_id: string; _rev: string; _updatedAt: string}>>('*|order(_id asc){_id, _rev, _updatedAt}', {}, {perspective: 'raw'})

describe('npm run seed against a real local lake', () => {
  it('imports the Her review once; a second import changes nothing and duplicates nothing', async () => {
    const first = await seed()
    expect(first.code).toBe(0)
    expect(first.out).toContain('Wrote 20 of 20 documents')
    const before = await snapshot()
    expect(before).toHaveLength(20)

    const dry = await seed(true)
    expect(dry.code).toBe(0)
    expect(dry.out).toContain('Dry run: nothing was written')

    const second = await seed()
    expect(second.code).toBe(0)
    expect(second.out).toContain('is already up to date')
    // Same ids, same revisions: nothing was rewritten or duplicated.
    expect(await snapshot()).toEqual(before)
  })
})
