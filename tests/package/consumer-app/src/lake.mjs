// The packaged lake entry on Node 22.13+: starts a lake in a temporary folder, queries it, stops.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient} from '@sanity/client'
import {clientConfig, resolveTarget} from 'film-review-sanity'
import {startLake} from 'film-review-sanity/lake'

const dir = mkdtempSync(join(tmpdir(), 'consumer-lake-'))
const lake = await startLake({port: 0, dir, token: 'consumer-token'})
try {
  const target = {...resolveTarget({SANITY_API_HOST: lake.url}), token: 'consumer-token'}
  const client = createClient(clientConfig(target))
  await client.create({_id: 'film-consumer', _type: 'film', title: 'Consumer'})
  console.log(JSON.stringify(await client.fetch('*[_id == $id][0]{_id, title}', {id: 'film-consumer'})))
} finally {
  await lake.close()
  rmSync(dir, {recursive: true, force: true})
}
