/**
 * Browser-safe settings shared by the Studio, the lake, scripts and queries.
 * (`lib/env.ts` adds the Node-only parts: reading the lake's token file.)
 */

/** The API version every part of the package speaks (client, lake, Studio). */
export const apiVersion = '2025-02-19'

/** Project id used for the embedded local lake; any `[a-z0-9]` string works there. */
export const localProjectId = 'local'

/** Default loopback port of the local lake. */
export const defaultLakePort = 3434

/** Default data folder of the local lake, relative to the working directory. */
export const defaultLakeDir = '.lake'

/** Default dataset name. */
export const defaultDataset = 'production'
