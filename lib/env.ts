import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {
  apiVersion,
  defaultDataset,
  defaultLakeDir,
  defaultLakePort,
  localProjectId,
} from './constants'

export {apiVersion, defaultDataset, defaultLakeDir, defaultLakePort, localProjectId}

export type SanityTarget =
  | {
      kind: 'hosted'
      projectId: string
      dataset: string
      token: string | undefined
      apiHost: string | undefined
    }
  | {
      kind: 'lake'
      projectId: string
      dataset: string
      token: string | undefined
      apiHost: string
    }

type Env = Record<string, string | undefined>

/**
 * Decides where content lives. A hosted project when `SANITY_PROJECT_ID` is set,
 * otherwise the local lake (at `SANITY_API_HOST`, or the default loopback port).
 * The same client options work for both, so callers never branch on the backend.
 */
export function resolveTarget(env: Env = process.env): SanityTarget {
  const dataset = env.SANITY_DATASET || defaultDataset
  const projectId = env.SANITY_PROJECT_ID
  if (projectId) {
    return {
      kind: 'hosted',
      projectId,
      dataset,
      token: env.SANITY_API_WRITE_TOKEN || undefined,
      apiHost: env.SANITY_API_HOST || undefined,
    }
  }
  const lakeDir = resolve(env.LAKE_DIR || defaultLakeDir)
  return {
    kind: 'lake',
    projectId: localProjectId,
    dataset,
    token: env.SANITY_API_WRITE_TOKEN || readLakeToken(lakeDir),
    apiHost: env.SANITY_API_HOST || `http://127.0.0.1:${env.LAKE_PORT || defaultLakePort}`,
  }
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

/** Options for `createClient` from `@sanity/client` that reach the resolved target. */
export function clientConfig(target: SanityTarget = resolveTarget()) {
  return {
    projectId: target.projectId,
    dataset: target.dataset,
    apiVersion,
    token: target.token,
    useCdn: false,
    ...(target.kind === 'lake'
      ? {apiHost: target.apiHost, useProjectHostname: false}
      : target.apiHost
        ? {apiHost: target.apiHost}
        : {}),
  } as const
}
