/**
 * The benchmark's generated site (lake/bench-site.ts): the exact size asked for, the same site for
 * the same seed, and documents whose references hold together the way the page queries expect.
 */
import {describe, expect, it} from 'vitest'

import {generateSite, MIN_SITE_SIZE, SEARCH_TERM} from '../../lake/bench-site'

describe('generateSite', () => {
  const site = generateSite(2000, 7)
  const byId = new Map<string, Record<string, unknown>>(site.documents.map((doc) => [doc._id, doc]))
  const ref = (value: unknown) => (typeof value === 'object' && value !== null && '_ref' in value ? String(value._ref) : undefined)

  it('makes exactly the documents asked for, with unique ids, in the advertised shares', () => {
    expect(site.documents).toHaveLength(2000)
    expect(byId.size).toBe(2000)
    expect(site.counts.reviews).toBe(200)
    expect(site.counts.drafts).toBe(20)
    expect(site.counts.comments / 2000).toBeGreaterThan(0.8)
    const sum = site.counts.reviews + site.counts.comments + site.counts.films + site.counts.people + site.counts.assets + site.counts.drafts
    expect(sum).toBe(2000)
  })

  it('is deterministic for a size and seed, and differs for another seed', () => {
    expect(JSON.stringify(generateSite(2000, 7))).toBe(JSON.stringify(site))
    expect(JSON.stringify(generateSite(2000, 8).documents)).not.toBe(JSON.stringify(site.documents))
  })

  it('refuses sizes too small to hold every kind of document', () => {
    expect(() => generateSite(MIN_SITE_SIZE - 1)).toThrow(RangeError)
    expect(() => generateSite(1000.5)).toThrow(RangeError)
  })

  it('keeps approved comments public and the others private, replies on the same review as their parent', () => {
    const comments = site.documents.filter((doc) => doc._type === 'comment')
    for (const comment of comments) {
      if (!('status' in comment)) throw new Error('comment without status')
      expect(comment._id.startsWith('moderation.')).toBe(comment.status !== 'approved')
      expect(byId.get(ref(comment.review) ?? '')?._type).toBe('review')
      const parent = 'parent' in comment ? comment.parent : undefined
      if (parent) {
        expect(parent._weak).toBe(true)
        expect(ref(byId.get(parent._ref)?.review)).toBe(ref(comment.review))
      }
    }
    expect(site.counts.replies).toBeGreaterThan(0)
  })

  it('points every reference at a document of the site and overlays drafts on published documents', () => {
    for (const doc of site.documents) {
      const stack: unknown[] = [doc]
      while (stack.length > 0) {
        const node = stack.pop()
        if (Array.isArray(node)) stack.push(...(node as unknown[]))
        else if (typeof node === 'object' && node !== null) {
          const target = ref(node)
          if (target !== undefined) expect(byId.has(target), `${doc._id} references ${target}`).toBe(true)
          stack.push(...Object.values(node))
        }
      }
      if (doc._id.startsWith('drafts.') && doc._type === 'film') expect(byId.has(doc._id.slice('drafts.'.length))).toBe(true)
    }
  })

  it('samples parameters that exist: slugs of each kind, drafted reviews, and a rare search term', () => {
    const slugs = (type: string) => new Set(site.documents.flatMap((doc) => (doc._type === type && 'slug' in doc && !doc._id.startsWith('drafts.') ? [doc.slug.current] : [])))
    expect(site.samples.reviewSlugs.length).toBe(8)
    for (const slug of site.samples.reviewSlugs) expect(slugs('review').has(slug)).toBe(true)
    for (const slug of site.samples.filmSlugs) expect(slugs('film').has(slug)).toBe(true)
    for (const slug of site.samples.personSlugs) expect(slugs('person').has(slug)).toBe(true)
    for (const id of site.samples.draftedReviewIds) expect(byId.has(`drafts.${id}`)).toBe(true)
    const mentions = site.documents.filter((doc) => !doc._id.startsWith('drafts.') && JSON.stringify(doc).includes(SEARCH_TERM))
    expect(mentions.length).toBeGreaterThanOrEqual(3)
    expect(mentions.length).toBeLessThanOrEqual(20)
  })
})
