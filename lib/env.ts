import {readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

/** The API version every part of the package speaks (client, lake, Studio). */
export const apiVersion = '2025-02-19'

/** Project id used for the embedded local lake; any `[a-z0-9]` string works there. */
export const localProjectId = 'local'

/** Default loopback port of the local lake. */
export const defaultLakePort = 3434

/** Default data folder of the local lake, relative to the working directory. */
export const defaultLakeDir = '.lake'

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
  const dataset = env.SANITY_DATASET || 'production'
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
