/**
 * Node-side backend resolution for scripts, the lake and the server: `lib/client-config.ts`
 * (runtime-neutral) plus the local lake's token file, so scripts can write without setup.
 */
import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {createClient, type SanityClient} from '@sanity/client'

import {clientConfig, resolveTarget as resolveTargetFromEnv, type Env, type SanityTarget} from './client-config'
import {apiVersion, defaultDataset, defaultLakeDir, defaultLakePort, localProjectId} from './constants'

export {apiVersion, clientConfig, defaultDataset, defaultLakeDir, defaultLakePort, localProjectId}
export type {Env, SanityTarget}

/**
 * As `resolveTarget` in `client-config`, and for the local lake without `SANITY_API_WRITE_TOKEN`
 * the token the lake keeps in `<LAKE_DIR>/token` (mode 0600), when the lake has started once.
 */
export function resolveTarget(env: Env = process.env): SanityTarget {
  const target = resolveTargetFromEnv(env)
  if (target.kind !== 'lake' || target.token) return target
  const lakeDir = typeof env.LAKE_DIR === 'string' && env.LAKE_DIR ? env.LAKE_DIR : defaultLakeDir
  return {...target, token: readLakeToken(resolve(lakeDir))}
}

/**
 * The client of the seed, import and export commands: it sees drafts (`raw`), and against the local
 * lake it fails at once (retrying a refused connection only delays the advice to start the lake).
 */
export function commandClient(target: SanityTarget): SanityClient {
  return createClient({...clientConfig(target), perspective: 'raw', ...(target.kind === 'lake' ? {maxRetries: 0} : {})})
}

/** The token file the lake writes on first start (mode 0600), if it exists yet. */
export function lakeTokenPath(lakeDir: string): string {
  return join(lakeDir, 'token')
}

function readLakeToken(lakeDir: string): string | undefined {
  try {
    return readFileSync(lakeTokenPath(lakeDir), 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}
