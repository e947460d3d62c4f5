import type {SanityDocument} from 'sanity'
import {describe, expect, it} from 'vitest'

import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {defaultSeedDeps} from '../../importer/command'
import {loadReview} from '../../importer/files'
import {Combined, ImportError, importReview, parseFacts, type ImportedDocument} from '../../importer/index'
import herFacts from '../../seed/her-2013.facts'
import {validateDocuments} from '../helpers/validate'
import {ARRIVAL_FILE, HER_FACTS_FILE, HER_FILE, readText} from './support'

/** The server adds these on write; Sanity's validator expects stored documents. */
function asStored(document: ImportedDocument): SanityDocument {
  return {...document, _createdAt: '2025-01-01T00:00:00Z', _updatedAt: '2025-01-01T00:00:00Z', _rev: 'imported'}
}

describe('documents emitted by the importer', () => {
  it('pass Sanity’s own validation against the project schemas with zero markers', async () => {
    const her = importReview(readText(HER_FILE), {fileName: HER_FILE, facts: parseFacts(herFacts, HER_FACTS_FILE)})
    const arrival = importReview(readText(ARRIVAL_FILE), {fileName: ARRIVAL_FILE})
    // Both films credit Amy Adams: one person document, shared by id.
    const byId = new Map([...her.documents, ...arrival.documents].map((document) => [document._id, asStored(document)]))
    expect(byId.get('person-amy-adams')).toBeDefined()
    const documents = [...byId.values()]
    expect(documents).toHaveLength(her.documents.length + arrival.documents.length - 1)
    expect(await validateDocuments(documents)).toStrictEqual([])
  })

  it('pass it for every review of the corpus that imports, combined as one folder import would', async () => {
    const combined = new Combined()
    const dir = 'tests/fixtures/reviews'
    let imported = 0
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.txt')).sort()) {
      try {
        const loaded = await loadReview(join(dir, name), defaultSeedDeps())
        combined.add(loaded.result, name)
        imported++
      } catch (error) {
        if (!(error instanceof ImportError)) throw error
      }
    }
    expect(imported).toBeGreaterThanOrEqual(10)
    const documents = combined.documents().map(asStored)
    expect(await validateDocuments(documents)).toStrictEqual([])
  })

  it('would be reported if a field broke the schema (the validator is really checking)', async () => {
    const her = importReview(readText(HER_FILE), {fileName: HER_FILE})
    const broken = {...asStored(her.film), genres: [], poster2: 'x'}
    const markers = await validateDocuments([broken], [broken, ...her.people.map(asStored)])
    expect(markers.map((marker) => marker.path)).toStrictEqual(expect.arrayContaining(['genres', 'poster2']))
  })
})
