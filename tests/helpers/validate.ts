import {evaluate, parse} from 'groq-js'
import {
  createSchema,
  pathToString,
  validateDocument,
  type SanityClient,
  type SanityDocument,
  type Workspace,
} from 'sanity'

import {schemaTypes} from '../../schemas'

export interface Marker {
  documentId: string
  path: string
  level: string
  message: string
}

const schema = createSchema({name: 'default', types: schemaTypes})

/**
 * The subset of a Sanity client that the schema's own validators use (slug
 * uniqueness, reference checks, comment parents), answered by groq-js over the
 * documents under test, so Sanity's real validation runs without a server.
 */
function datasetClient(dataset: SanityDocument[]): SanityClient {
  const client = {
    fetch: async (query: string, params: Record<string, unknown> = {}) => {
      const tree = parse(query, {params})
      const result = await evaluate(tree, {dataset, params})
      return result.get()
    },
    withConfig: () => client,
    config: () => ({apiVersion: '2025-02-19', dataset: 'test', projectId: 'test'}),
  }
  return client as unknown as SanityClient
}

/**
 * Validates documents with Sanity's own validator and the project's schemas.
 * `dataset` is what reference and uniqueness checks see (defaults to `documents`).
 */
export async function validateDocuments(
  documents: SanityDocument[],
  dataset: SanityDocument[] = documents,
): Promise<Marker[]> {
  const client = datasetClient(dataset)
  const ids = new Set(dataset.map((doc) => doc._id))
  const workspace = {schema, getClient: () => client} as unknown as Workspace
  const markers: Marker[] = []
  for (const document of documents) {
    const options = {
      document,
      workspace,
      getClient: () => client,
      getDocumentExists: async ({id}: {id: string}) => ids.has(id),
    }
    // The Studio's own rules and messages. (The 'cli' environment rewrites every
    // rule's level to warning and drops custom messages, so it is used only below.)
    const found = await validateDocument({...options, environment: 'studio'})
    // The CLI environment also reports fields the schema does not declare.
    const unknownFields = (await validateDocument({...options, environment: 'cli'})).filter(
      (marker) => /^Field '.*' does not exist on type/.test(marker.message),
    )
    for (const marker of [...found, ...unknownFields]) {
      markers.push({
        documentId: document._id,
        path: pathToString(marker.path),
        level: marker.level,
        message: marker.message,
      })
    }
  }
  return markers
}
