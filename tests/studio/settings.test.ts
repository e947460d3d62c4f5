/**
 * What the Studio asks the local server beyond the data API, without a browser: per-user
 * settings that persist across restarts (Vision's saved queries), the dataset list Vision
 * reads, the project's features and the Releases tool's limits, and the users history names.
 */
import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {type RunningServer, startServer} from '../../server'
import {SETTINGS_FILE} from '../../server/settings'
import {studioSession} from './support'

describe('Studio settings and support endpoints', () => {
  let dir: string
  let server: RunningServer
  let session: string

  const start = async () => {
    server = await startServer({port: 0, dir, studioDir: join(dir, 'no-studio')})
    session = await studioSession(server)
  }
  const call = async (path: string, init: {method?: string; body?: unknown; token?: string | null} = {}) => {
    const token = init.token === undefined ? session : init.token
    const response = await fetch(`${server.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {...(token ? {authorization: `Bearer ${token}`} : {}), ...(init.body === undefined ? {} : {'content-type': 'application/json'})},
      ...(init.body === undefined ? {} : {body: JSON.stringify(init.body)}),
    })
    return {status: response.status, body: (await response.json()) as unknown}
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'studio-settings-'))
    await start()
  })

  afterAll(async () => {
    await server?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test("Vision's saved queries survive a restart of the server, kept in a private file", async () => {
    const saved = [{_key: 'q1', url: 'https://local.localhost/vision', query: '*[_type == "review"]{title}', params: {}, title: 'Reviews', savedAt: '2025-06-01T10:00:00.000Z'}]
    const put = await call('/v2025-02-19/users/me/keyvalue', {method: 'PUT', body: [{key: 'studio.vision-tool.saved-queries', value: saved}]})
    expect(put).toEqual({status: 200, body: [{key: 'studio.vision-tool.saved-queries', value: saved}]})
    await server.close()
    await start()
    const got = await call('/v2025-02-19/users/me/keyvalue/studio.vision-tool.saved-queries,studio.timezone.content-releases')
    expect(got).toEqual({status: 200, body: [{key: 'studio.vision-tool.saved-queries', value: saved}, {key: 'studio.timezone.content-releases', value: null}]})
    expect(statSync(join(dir, SETTINGS_FILE)).mode & 0o777).toBe(0o600)
    // Settings are per user: the lake token acts as its own (robot) user, anonymous callers have none.
    expect((await call('/v2025-02-19/users/me/keyvalue/studio.vision-tool.saved-queries', {token: server.token})).body).toEqual([{key: 'studio.vision-tool.saved-queries', value: null}])
    expect((await call('/v2025-02-19/users/me/keyvalue/studio.vision-tool.saved-queries', {token: null})).body).toEqual([{key: 'studio.vision-tool.saved-queries', value: null}])
    expect((await call('/v2025-02-19/users/me/keyvalue', {method: 'PUT', token: null, body: [{key: 'x', value: 1}]})).status).toBe(401)
    // null removes a key.
    await call('/v2025-02-19/users/me/keyvalue', {method: 'PUT', body: [{key: 'studio.vision-tool.saved-queries', value: null}]})
    expect((await call('/v2025-02-19/users/me/keyvalue/studio.vision-tool.saved-queries')).body).toEqual([{key: 'studio.vision-tool.saved-queries', value: null}])
  })

  test('Vision lists the datasets, the Releases tool finds its feature and no limits, history authors have names', async () => {
    await call('/v2025-02-19/data/mutate/production', {method: 'POST', body: {mutations: [{create: {_type: 'film', title: 'A film'}}]}})
    expect(await call('/v2025-06-27/datasets')).toEqual({status: 200, body: [{name: 'production', aclMode: 'public', tags: []}]})
    expect(await call('/v2025-02-19/features')).toEqual({status: 200, body: ['contentReleases']})
    expect((await call('/vX/projects/local/new-content-release-allowed')).body).toEqual({data: {orgMeteredActiveReleaseCount: 0, orgActiveReleaseLimit: null, datasetReleaseLimit: 10_000}})
    const users = await call('/v2025-02-19/users/local-editor,lake-token,nobody')
    // The shape the Studio's user store reads (`displayName`, `imageUrl`) for avatars and names in History.
    expect(users.body).toEqual([
      {id: 'local-editor', displayName: 'Local editor', givenName: 'Local', familyName: 'editor', middleName: null, imageUrl: null, isCurrentUser: true},
      {id: 'lake-token', displayName: 'Lake token (scripts)', givenName: 'Lake', familyName: 'token (scripts)', middleName: null, imageUrl: null, isCurrentUser: false},
    ])
    expect((await call('/v2025-02-19/users/me')).body).toMatchObject({id: 'local-editor'})
    expect((await call('/v2025-02-19/users/me', {token: server.token})).body).toMatchObject({id: 'lake-token'})
  })
})
