import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient, type SanityClient} from '@sanity/client'

import {apiVersion} from '../../lib/env'
import {type RunningLake, startLake, type StartLakeOptions} from '../../lake'

export const TEST_TOKEN = 'test-token-for-the-lake'

export interface TestLake {
  lake: RunningLake
  dir: string
  client: SanityClient
  anonymous: SanityClient
  stop(options?: {keepDir?: boolean}): Promise<void>
}

export function tempDir(prefix = 'lake-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function clientFor(lake: RunningLake, token: string | undefined, dataset = 'test'): SanityClient {
  return createClient({
    projectId: 'local',
    dataset,
    apiHost: lake.url,
    useProjectHostname: false,
    apiVersion,
    ...(token ? {token} : {}),
    useCdn: false,
  })
}

/** A real lake on a free port over a temp folder, with a token client and an anonymous one. */
export async function startTestLake(options: StartLakeOptions = {}): Promise<TestLake> {
  const dir = options.dir ?? tempDir()
  const lake = await startLake({token: TEST_TOKEN, keepAliveMs: 200, ...options, port: 0, dir})
  return {
    lake,
    dir,
    client: clientFor(lake, lake.token),
    anonymous: clientFor(lake, undefined),
    stop: async ({keepDir = false} = {}) => {
      await lake.close()
      if (!keepDir) rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Drops the fields the lake assigns, so whole documents can be compared. */
export function withoutSystemFields<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutSystemFields(item)) as T
  if (typeof value === 'object' && value !== null) {
    const {_rev: _r, _createdAt: _c, _updatedAt: _u, ...rest} = value as Record<string, unknown>
    return rest as T
  }
  return value
}

/** The HTTP status of a rejected `@sanity/client` call. */
export async function statusOf(promise: Promise<unknown>): Promise<{statusCode: number | undefined; message: string}> {
  try {
    await promise
  } catch (error) {
    const statusCode = typeof error === 'object' && error !== null && 'statusCode' in error ? Number(error.statusCode) : undefined
    return {statusCode, message: error instanceof Error ? error.message : String(error)}
  }
  throw new Error('expected the request to fail, but it succeeded')
}
