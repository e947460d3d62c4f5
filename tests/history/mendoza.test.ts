import fc from 'fast-check'
import {applyPatch, incremental} from 'mendoza'
import {describe, expect, test} from 'vitest'

import {diffPatch} from '../../lake/mendoza'

/** Documents shaped like Sanity's: keyed array items, nested objects, Portable Text-ish blocks. */
const leaf = fc.oneof(fc.string({maxLength: 6}), fc.integer(), fc.boolean(), fc.constant(null))
const keyed = fc.record({_key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), _type: fc.constantFrom('block', 'castMember'), text: fc.string({maxLength: 5})})
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({depthSize: 'small'}, leaf, tie('object'), tie('array'), fc.array(keyed, {maxLength: 4})),
  object: fc.dictionary(fc.constantFrom('title', 'slug', 'b', 'é', 'Z', '_type', 'sections'), tie('value'), {maxKeys: 5}),
  array: fc.array(tie('value'), {maxLength: 4}),
})).value
const documents = fc.dictionary(fc.constantFrom('title', 'rating', 'sections', 'film', 'intro', 'a', 'B'), json, {maxKeys: 6})

describe('Mendoza effects', () => {
  test('applying the patch to the left document gives the right one, for any pair', () => {
    fc.assert(
      fc.property(fc.oneof(documents, json), fc.oneof(documents, json), (left, right) => {
        expect(applyPatch(left, diffPatch(left, right))).toEqual(right)
      }),
      {numRuns: 2000},
    )
  })

  test('a create is [0, doc] and a delete [0, null], the shapes the Studio reads as created and deleted', () => {
    expect(diffPatch(null, {_id: 'x', a: 1})).toEqual([0, {_id: 'x', a: 1}])
    expect(diffPatch({_id: 'x', a: 1}, null)).toEqual([0, null])
    expect(diffPatch({a: [1]}, {a: [1]})).toEqual([])
  })

  test('an edited field is attributed to its transaction and untouched fields keep theirs', () => {
    const v1 = {title: 'Her', sections: [{_key: 'a', heading: 'One'}, {_key: 'b', heading: 'Two'}]}
    const v2 = {title: 'Her', sections: [{_key: 'a', heading: 'One'}, {_key: 'b', heading: 'Two (edited)'}]}
    const start = incremental.wrap<string>(v1, 'tx1')
    const after = incremental.applyPatch(start, diffPatch(v1, v2), 'tx2')
    expect(incremental.unwrap(after)).toEqual(v2)
    const content = after.content
    if (content?.type !== 'object') throw new Error('expected an object')
    expect(content.fields.title?.startMeta).toBe('tx1')
    const sections = content.fields.sections?.content
    if (sections?.type !== 'array') throw new Error('expected an array')
    expect(sections.elements[0]?.startMeta).toBe('tx1')
    const second = sections.elements[1]?.content
    if (second?.type !== 'object') throw new Error('expected an object')
    expect(second.fields._key?.startMeta).toBe('tx1')
    expect(second.fields.heading?.startMeta).toBe('tx2')
  })
})
