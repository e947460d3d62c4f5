/**
 * Documents the lake stores are its own: a write copies what a caller could still change and
 * shares only what is already the lake's (patches copy what they change, not whole documents).
 */
import {rmSync} from 'node:fs'

import {afterEach, describe, expect, it} from 'vitest'

import {LakeStore} from '../../lake'
import {tempDir} from './helpers'

const dirs: string[] = []
const stores: LakeStore[] = []

function openStore(): LakeStore {
  const dir = tempDir('lake-ownership-')
  dirs.push(dir)
  const store = new LakeStore(dir)
  stores.push(store)
  return store
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

describe('documents the lake stores', () => {
  it('do not change when the caller changes the objects it wrote', async () => {
    const dataset = openStore().dataset('test')
    const body = {_id: 'film-a', _type: 'film', title: 'A', crew: [{name: 'X', roles: ['director']}]}
    await dataset.transaction([{create: body}])
    const value = {name: 'Y', roles: ['writer']}
    await dataset.transaction([{patch: {id: 'film-a', insert: {after: 'crew[-1]', items: [value]}}}])
    body.crew[0]?.roles.push('editor')
    value.roles.push('editor')
    value.name = 'Z'
    expect(dataset.getDocument('film-a')).toMatchObject({title: 'A', crew: [{name: 'X', roles: ['director']}, {name: 'Y', roles: ['writer']}]})
  })

  it('keep the state an earlier reader holds when a later patch changes a nested value', async () => {
    const dataset = openStore().dataset('test')
    await dataset.transaction([{create: {_id: 'review-a', _type: 'review', body: [{_key: 'a', text: 'one'}, {_key: 'b', text: 'two'}], meta: {rating: 1}}}])
    const before = dataset.getDocument('review-a')
    const snapshot = JSON.stringify(before)
    await dataset.transaction([{patch: {id: 'review-a', set: {'meta.rating': 2, 'body[_key=="b"].text': 'three'}}}])
    expect(JSON.stringify(before)).toBe(snapshot)
    expect(dataset.getDocument('review-a')).toMatchObject({body: [{_key: 'a', text: 'one'}, {_key: 'b', text: 'three'}], meta: {rating: 2}})
    // What the patch did not change is shared, and frozen like the rest.
    expect(dataset.getDocument('review-a')?.body).not.toBe(before?.body)
    expect((dataset.getDocument('review-a')?.body as unknown[])[0]).toBe((before?.body as unknown[])[0])
    expect(Object.isFrozen(dataset.getDocument('review-a')?.meta)).toBe(true)
  })

  it('take a "__proto__" key from JSON through a create and a patch without changing any prototype', async () => {
    const dataset = openStore().dataset('test')
    const body = JSON.parse('{"_id": "odd", "_type": "thing", "nested": {"__proto__": {"polluted": true}, "kept": 1}}') as Record<string, unknown>
    await dataset.transaction([{create: body}])
    await dataset.transaction([{patch: {id: 'odd', set: {'nested.kept': 2}}}])
    const nested = dataset.getDocument('odd')?.nested as Record<string, unknown>
    expect(nested.kept).toBe(2)
    expect(Object.getPrototypeOf(nested)).toBe(Object.prototype)
    expect(nested.polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
