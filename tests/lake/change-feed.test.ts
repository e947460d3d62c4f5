/**
 * The change feed to the query workers: a commit waits in each worker's backlog until that
 * worker's next job, so writes do not wake idle workers, yet every query sees every write
 * answered before it was sent.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestLake, type TestLake, waitFor} from './helpers'

let t: TestLake

beforeAll(async () => {
  t = await startTestLake()
  await t.lake.store.dataset('test').transaction([{createOrReplace: {_id: 'counter', _type: 'counter', n: 0}}])
  // Both workers load the dataset (two jobs in one tick go to different workers).
  await Promise.all([t.client.fetch('count(*)'), t.lake.store.dataset('test').query('count(*)')])
})

afterAll(async () => {
  await t.stop()
})

/** The same query on both workers at once: the pool gives each of two jobs posted in one tick to a different worker. */
async function onBothWorkers(query: string): Promise<unknown[]> {
  const dataset = t.lake.store.dataset('test')
  expect(t.lake.store.pool.workers).toBe(2)
  return Promise.all([dataset.query(query, {}, 'raw'), dataset.query(query, {}, 'raw')])
}

describe('the change feed', () => {
  it('keeps a write for the workers until their next job, and posts it to idle workers a moment later', async () => {
    await waitFor(() => t.lake.store.pool.load.backlog === 0, 'the backlog of the set-up writes to drain')
    await t.client.patch('counter').set({n: 1}).commit()
    expect(t.lake.store.pool.load.backlog).toBe(1)
    expect(await t.client.fetch('*[_id == "counter"][0].n')).toBe(1)
    await waitFor(() => t.lake.store.pool.load.backlog === 0, 'the idle worker to be sent the write', 2000)
    expect(await onBothWorkers('*[_id == "counter"][0].n')).toEqual([1, 1])
  })

  it('posts a long run of writes in bounded batches, and every worker answers with all of them', async () => {
    const dataset = t.lake.store.dataset('test')
    let largest = 0
    for (let n = 0; n < 200; n++) {
      await dataset.transaction([{createOrReplace: {_id: `item-${n}`, _type: 'item', n}}, {patch: {id: 'counter', set: {n: 100 + n}}}])
      largest = Math.max(largest, t.lake.store.pool.load.backlog)
    }
    expect(largest).toBeGreaterThan(1)
    expect(largest).toBeLessThanOrEqual(64)
    expect(await onBothWorkers('{"items": count(*[_type == "item"]), "sum": math::sum(*[_type == "item"].n), "counter": *[_id == "counter"][0].n}')).toEqual([
      {items: 200, sum: 19_900, counter: 299},
      {items: 200, sum: 19_900, counter: 299},
    ])
  })
})
