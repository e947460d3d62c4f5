import {describe, expect, it} from 'vitest'

import {Lru} from '../../lake/lru'

describe('the lake caches keep their most recently used entries', () => {
  it('drops the least recently used past the entry limit, reading an entry making it recent', () => {
    const lru = new Lru<string, number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1)
    lru.set('c', 3)
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3])
  })

  it('keeps the weight under its budget, and a value heavier than the budget replaces nothing stale', () => {
    const lru = new Lru<string, string>(10, {of: (value) => value.length, max: 5})
    lru.set('a', 'xx')
    lru.set('b', 'yyy')
    lru.set('c', 'z')
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, 'yyy', 'z'])
    lru.set('b', 'too heavy')
    expect([lru.get('b'), lru.get('c')]).toEqual([undefined, 'z'])
    lru.set('d', 'dddd')
    expect([lru.get('c'), lru.get('d')]).toEqual(['z', 'dddd'])
    lru.delete('d')
    expect(lru.get('d')).toBeUndefined()
  })
})
