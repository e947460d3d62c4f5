import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient, type SanityClient, type SanityDocument} from '@sanity/client'

import herFacts from '../../seed/her-2013.facts'
import {importReview} from '../../importer'
import {startLake, type RunningLake} from '../../lake'
import {apiVersion} from '../../lib/constants'

export interface TestLake {
  lake: RunningLake
  /** Authenticated client (the lake's write token). */
  client: SanityClient
  /** Anonymous client: sees only what a public dataset shows. */
  anonymous: SanityClient
  close(): Promise<void>
}

/** A real lake on a free loopback port with a throwaway data folder. */
export async function startTestLake(dataset = 'test', options: {corsOrigins?: readonly string[]} = {}): Promise<TestLake> {
  const dir = mkdtempSync(join(tmpdir(), 'lake-test-'))
  const lake = await startLake({port: 0, dir, token: 'test-token', ...options})
  const base = {
    projectId: 'local',
    dataset,
    apiVersion,
    apiHost: lake.url,
    useProjectHostname: false,
    useCdn: false,
  }
  return {
    lake,
    client: createClient({...base, token: lake.token}),
    anonymous: createClient(base),
    async close() {
      await lake.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** The Her review's documents, as the seed command imports them. */
export function herDocuments() {
  const text = readFileSync(new URL('../../seed/her-2013-user-review.txt', import.meta.url), 'utf8')
  return importReview(text, {fileName: 'seed/her-2013-user-review.txt', facts: herFacts})
}

/** Writes documents in one transaction. */
export async function put(
  client: SanityClient,
  documents: ReadonlyArray<{_id: string; _type: string}>,
) {
  const transaction = client.transaction()
  for (const document of documents) transaction.createOrReplace(document as SanityDocument)
  await transaction.commit()
}
