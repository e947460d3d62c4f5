import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {clientConfig, resolveTarget} from '../../lib/client-config'
import {resolveTarget as resolveTargetOnNode} from '../../lib/env'

describe('clientConfig and resolveTarget', () => {
  it('targets the local lake on the default loopback port without SANITY_PROJECT_ID', () => {
    expect(clientConfig(resolveTarget({}))).toEqual({
      projectId: 'local',
      dataset: 'production',
      apiVersion: '2025-02-19',
      token: undefined,
      useCdn: false,
      apiHost: 'http://127.0.0.1:3434',
      useProjectHostname: false,
    })
    expect(resolveTarget({LAKE_PORT: '3541', SANITY_DATASET: 'staging'})).toEqual({
      kind: 'lake',
      projectId: 'local',
      dataset: 'staging',
      token: undefined,
      apiHost: 'http://127.0.0.1:3541',
    })
  })

  it('targets a hosted project when SANITY_PROJECT_ID is set', () => {
    expect(clientConfig(resolveTarget({SANITY_PROJECT_ID: 'abc123', SANITY_API_WRITE_TOKEN: 'sk-1'}))).toEqual({
      projectId: 'abc123',
      dataset: 'production',
      apiVersion: '2025-02-19',
      token: 'sk-1',
      useCdn: false,
    })
  })

  it("reads Vite's and Astro's import.meta.env, whose flags are booleans, ignoring empty values", () => {
    const importMetaEnv = {BASE_URL: '/', MODE: 'production', DEV: false, PROD: true, SSR: true, SANITY_PROJECT_ID: 'abc123', SANITY_DATASET: ''}
    expect(resolveTarget(importMetaEnv)).toEqual({kind: 'hosted', projectId: 'abc123', dataset: 'production', token: undefined, apiHost: undefined})
  })

  it('on Node, adds the token the local lake keeps in its folder, unless one is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-config-'))
    try {
      writeFileSync(join(dir, 'token'), 'lake-token\n')
      chmodSync(join(dir, 'token'), 0o600)
      expect(resolveTargetOnNode({LAKE_DIR: dir})).toEqual({...resolveTarget({}), token: 'lake-token'})
      expect(resolveTargetOnNode({LAKE_DIR: dir, SANITY_API_WRITE_TOKEN: 'env-token'}).token).toBe('env-token')
      expect(resolveTargetOnNode({LAKE_DIR: join(dir, 'missing')}).token).toBeUndefined()
      // A hosted project never gets the local lake's token.
      expect(resolveTargetOnNode({LAKE_DIR: dir, SANITY_PROJECT_ID: 'abc123'}).token).toBeUndefined()
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
