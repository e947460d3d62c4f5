import {describe, expect, it} from 'vitest'

import {randomId} from '../../lake/documents'

describe('randomId', () => {
  it('gives ids of the asked length over base62, distinct across many refills of its random pool', () => {
    const ids = Array.from({length: 5000}, (_, i) => randomId(i % 2 === 0 ? 22 : 12))
    for (const [i, id] of ids.entries()) expect(id).toMatch(i % 2 === 0 ? /^[A-Za-z0-9]{22}$/ : /^[A-Za-z0-9]{12}$/)
    expect(new Set(ids).size).toBe(ids.length)
    // Every symbol turns up, at roughly its share (5000 ids, about 85,000 symbols, about 1,370 each).
    const counts = new Map<string, number>()
    for (const id of ids) for (const symbol of id) counts.set(symbol, (counts.get(symbol) ?? 0) + 1)
    expect(counts.size).toBe(62)
    for (const count of counts.values()) expect(count).toBeGreaterThan(1000)
  })
})
