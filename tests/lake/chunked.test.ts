import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {Chunked} from '../../lake/chunked'

const key = (n: number) => `k${String(n).padStart(6, '0')}`

describe('Chunked sequences', () => {
  it('find items by key exactly as a filter would, across chunk boundaries and after edits', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({min: 0, max: 5000}), {maxLength: 3000}),
        fc.uniqueArray(fc.integer({min: 0, max: 5000}), {maxLength: 400}),
        fc.array(fc.tuple(fc.boolean(), fc.integer({min: 0, max: 5000})), {maxLength: 40}),
        (present, wanted, edits) => {
          let items = present.map(key).sort()
          let list = Chunked.from(items)
          // Edits through a batch, as indexes make them: inserts and removes at sorted positions.
          const batch = list.batch()
          for (const [insert, n] of edits) {
            const at = batch.first((item) => !(item < key(n)))
            const found = batch.at(at) === key(n)
            if (insert && !found) batch.insert(at, key(n))
            if (!insert && found) batch.remove(at)
          }
          list = batch.done()
          for (const [insert, n] of edits) {
            if (insert && !items.includes(key(n))) items = [...items, key(n)].sort()
            if (!insert) items = items.filter((item) => item !== key(n))
          }
          expect(list.toArray()).toEqual(items)
          // A lookup by key, as View.get makes it: the first item at or after the key.
          const keys = wanted.map(key).sort()
          const found = keys.flatMap((k) => {
            const item = list.at(list.first((candidate) => !(candidate < k)))
            return item === k ? [item] : []
          })
          const set = new Set(keys)
          expect(found).toEqual(items.filter((item) => set.has(item)))
        },
      ),
      {seed: 12, numRuns: 200},
    )
  })
})
