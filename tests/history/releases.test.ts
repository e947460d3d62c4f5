/**
 * Content Releases on the local server through the real @sanity/client: the release actions of
 * Sanity's Actions API, version documents, previews in a release perspective, an atomic publish,
 * scheduling (also across a stop of the server), unscheduling, archiving and deleting.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient, type SanityClient} from '@sanity/client'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {reviewPageQuery} from '../../queries'
import {fetchTyped} from '../../queries/fetch'
import {type RunningServer, startServer} from '../../server'
import {eventually, seedHer} from '../studio/support'

const RELEASE_STATE_QUERY = '*[_id == $id][0]{state, publishAt, publishedAt, finalDocumentStates, error}'

describe('Content Releases on the local lake', () => {
  let dir: string
  let server: RunningServer
  let client: SanityClient
  let reviewIds: string[]

  const start = async () => {
    server = await startServer({port: 0, dir, studioDir: join(dir, 'no-studio')})
    client = createClient({projectId: 'local', dataset: 'production', apiVersion: '2025-02-19', apiHost: server.apiUrl, useProjectHostname: false, useCdn: false, token: server.token, perspective: 'raw'})
  }
  const release = (releaseId: string) => client.fetch<{state: string; publishAt?: string; publishedAt?: string; finalDocumentStates?: {id: string}[]; error?: {message: string}} | null>(RELEASE_STATE_QUERY, {id: `_.releases.${releaseId}`})
  const newRelease = async (releaseId: string, title: string) => {
    await client.releases.create({releaseId, metadata: {title, releaseType: 'asap'}})
    for (const id of reviewIds) await client.createVersion({baseId: id, publishedId: id, releaseId})
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'releases-'))
    await start()
    const {reviewId} = await seedHer(client)
    // A second review of the same film, so a release can carry two.
    const her = await client.getDocument(reviewId)
    if (!her) throw new Error('seedHer wrote no review')
    const {_rev: _r, _createdAt: _c, _updatedAt: _u, ...content} = her
    await client.create({...content, _id: 'review-her-2013-second-look', title: 'A second look', slug: {_type: 'slug', current: 'her-2013-a-second-look'}})
    reviewIds = [reviewId, 'review-her-2013-second-look']
  })

  afterAll(async () => {
    await server?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test('versions of two reviews preview in the release perspective and publish together in one transaction', async () => {
    await newRelease('summer', 'Summer picks')
    expect(await release('summer')).toMatchObject({state: 'active'})
    for (const [index, id] of reviewIds.entries()) await client.patch(`versions.summer.${id}`).set({title: `Release title ${index + 1}`}).commit()

    // The site's own typed query, previewed in the release as @sanity/client sends it.
    const slug = 'her-2013-falling-in-love-with-ai'
    const preview = client.withConfig({perspective: ['summer', 'drafts']})
    expect((await fetchTyped(preview, reviewPageQuery, {slug}))?.title).toBe('Release title 1')
    expect((await fetchTyped(client.withConfig({perspective: 'published'}), reviewPageQuery, {slug}))?.title).toBe('Falling in love with AI')
    // Release documents are private: anonymous readers see none of them.
    expect(await client.withConfig({token: undefined, perspective: 'raw'}).fetch('count(*[_id in path("_.releases.*") || _id in path("versions.**")])')).toBe(0)

    const {transactionId} = await client.releases.publish({releaseId: 'summer'})
    const published = await client.fetch<{_id: string; _rev: string; title: string}[]>('*[_id in $ids]{_id, _rev, title} | order(_id)', {ids: reviewIds})
    expect(published.map((doc) => doc.title).sort()).toEqual(['Release title 1', 'Release title 2'])
    expect(published.every((doc) => doc._rev === transactionId)).toBe(true)
    expect(await client.fetch('count(*[_id in path("versions.summer.**")])')).toBe(0)
    const state = await release('summer')
    expect(state).toMatchObject({state: 'published', finalDocumentStates: reviewIds.map((id) => ({id: `versions.summer.${id}`})).sort((a, b) => a.id.localeCompare(b.id))})
    // One transaction in history touched both reviews (and the versions and the release).
    const lines = String(await client.request({url: `/data/history/production/transactions/${reviewIds.join(',')}?fromTransaction=${transactionId}&toTransaction=${transactionId}`, json: false}))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as {documentIDs: string[]})
    expect(lines).toHaveLength(1)
    expect(lines[0]?.documentIDs).toEqual(expect.arrayContaining([...reviewIds, ...reviewIds.map((id) => `versions.summer.${id}`), '_.releases.summer']))
    // What the Studio shows for a published release: each version's last state, from history.
    const {documents} = await client.request<{documents: {title: string}[]}>({url: `/data/history/production/documents/${reviewIds.map((id) => `versions.summer.${id}`).join(',')}?lastRevision=true`})
    expect(documents.map((doc) => doc.title).sort()).toEqual(['Release title 1', 'Release title 2'])
    // The document events feed says how it was published.
    const events = await client.request<{events: Record<string, {type: string; releaseId?: string; publishCause?: string}[]>}>({url: `/data/history/production/events/documents/${reviewIds[0]}`})
    expect(events.events[reviewIds[0] ?? '']?.[0]).toMatchObject({type: 'publishDocumentVersion', releaseId: 'summer', publishCause: 'release.publish'})
  })

  test('a scheduled release is locked, can be unscheduled, and is published by the lake when due', async () => {
    await newRelease('autumn', 'Autumn')
    await client.patch(`versions.autumn.${reviewIds[1]}`).set({rating: 9}).commit()
    await client.releases.schedule({releaseId: 'autumn', publishAt: new Date(Date.now() + 60_000).toISOString()})
    expect(await release('autumn')).toMatchObject({state: 'scheduled'})
    // Versions of a scheduled release take no edits through the Actions API.
    await expect(
      client.action({actionType: 'sanity.action.document.edit', draftId: `versions.autumn.${reviewIds[1]}`, publishedId: reviewIds[1] ?? '', patch: {set: {rating: 3}}}),
    ).rejects.toMatchObject({statusCode: 409})
    await client.releases.unschedule({releaseId: 'autumn'})
    expect(await release('autumn')).toMatchObject({state: 'active'})
    expect((await release('autumn'))?.publishAt).toBeNull()

    await client.releases.schedule({releaseId: 'autumn', publishAt: new Date(Date.now() + 1500).toISOString()})
    const published = await eventually('the scheduled publish', () => release('autumn'), (state) => state?.state === 'published', 15_000)
    expect(published?.publishedAt).toBeDefined()
    expect(await client.fetch('*[_id == $id][0].rating', {id: reviewIds[1]})).toBe(9)
    const events = await client.request<{events: Record<string, {type: string; publishCause?: string; author: string}[]>}>({url: `/data/history/production/events/documents/${reviewIds[1]}`})
    expect(events.events[reviewIds[1] ?? '']?.[0]).toMatchObject({type: 'publishDocumentVersion', publishCause: 'release.schedule', author: 'lake-token'})
  })

  test('a release that falls due while the server is stopped is published when it starts again', async () => {
    await newRelease('winter', 'Winter')
    await client.patch(`versions.winter.${reviewIds[0]}`).set({containsSpoilers: true}).commit()
    const publishAt = Date.now() + 1500
    await client.releases.schedule({releaseId: 'winter', publishAt: new Date(publishAt).toISOString()})
    await server.close()
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, publishAt - Date.now()) + 500))
    await start()
    await eventually('the overdue release to be published', () => release('winter'), (state) => state?.state === 'published', 10_000)
    expect(await client.fetch('*[_id == $id][0].containsSpoilers', {id: reviewIds[0]})).toBe(true)
  })

  test('archive deletes the versions, unarchive brings them back, and archived or published releases can be deleted', async () => {
    await newRelease('spring', 'Spring')
    await client.patch(`versions.spring.${reviewIds[0]}`).set({title: 'Spring title'}).commit()
    await client.releases.archive({releaseId: 'spring'})
    expect(await release('spring')).toMatchObject({state: 'archived'})
    expect(await client.fetch('count(*[_id in path("versions.spring.**")])')).toBe(0)
    await expect(client.releases.publish({releaseId: 'spring'})).rejects.toMatchObject({statusCode: 409})
    await client.releases.unarchive({releaseId: 'spring'})
    expect(await client.fetch('*[_id == $id][0].title', {id: `versions.spring.${reviewIds[0]}`})).toBe('Spring title')
    await client.releases.archive({releaseId: 'spring'})
    await client.releases.delete({releaseId: 'spring'})
    expect(await release('spring')).toBeNull()
    await client.releases.delete({releaseId: 'summer'})
    expect(await release('summer')).toBeNull()
    // An active release cannot be deleted, and an edit may change only the metadata.
    await newRelease('open', 'Open')
    await expect(client.releases.delete({releaseId: 'open'})).rejects.toMatchObject({statusCode: 409})
    await expect(client.releases.edit({releaseId: 'open', patch: {set: {state: 'published'}}})).rejects.toMatchObject({statusCode: 400})
    await client.releases.edit({releaseId: 'open', patch: {set: {'metadata.title': 'Open (renamed)'}}})
    expect(await client.fetch('*[_id == "_.releases.open"][0].metadata.title')).toBe('Open (renamed)')
  })

  test('a version marked for unpublishing deletes the published document when its release publishes', async () => {
    await client.create({_id: 'person-temp', _type: 'person', name: 'Temp', slug: {_type: 'slug', current: 'temp'}})
    await client.releases.create({releaseId: 'cleanup', metadata: {title: 'Cleanup', releaseType: 'asap'}})
    await client.unpublishVersion({releaseId: 'cleanup', publishedId: 'person-temp'})
    await client.releases.publish({releaseId: 'cleanup'})
    expect(await client.getDocument('person-temp')).toBeUndefined()
  })
})
