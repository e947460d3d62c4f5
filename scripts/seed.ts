/**
 * `npm run seed` — imports review text into the dataset, or into an NDJSON file with
 * `--out`. Argument parsing lives here; the import itself is `runSeed` in importer/.
 */
import {parseArgs} from 'node:util'

import {DEFAULT_REVIEW_FILE, defaultSeedDeps, runSeed, type SeedOptions} from '../importer/command'
import {FACTS_DIR} from '../importer/files'
import {type CliArgs, runIfEntry} from '../lib/cli'

const USAGE = `Usage: npm run seed -- [--file <review.txt> | --dir <folder>] [--facts <facts.ts>] [--out <file.ndjson>] [--dry-run]

Imports plain-text user reviews as film, person and review documents.

  --file <path>     One review (default: ${DEFAULT_REVIEW_FILE}), in one transaction.
  --dir <folder>    Every *.txt in the folder, one transaction per review: a bad file
                    is reported with its line and skipped, the others import. People
                    and films shared by several reviews become one document each.
  --facts <path>    Curated film facts for --file (a .ts module whose default export
                    is FilmFacts). Default: <film-slug>.facts.ts next to the review,
                    else in ${FACTS_DIR}/.
  --out <path>      Write the documents as one NDJSON file (for "sanity dataset import")
                    instead of writing to the dataset; contacts nothing.
  --dry-run         Print which documents would be created or replaced, write nothing.
  -h, --help        Show this help.

Without --out, documents go to the dataset from lib/env.ts: the local lake
(start it with "npm run lake" or "npm start") or, when SANITY_PROJECT_ID,
SANITY_DATASET and SANITY_API_WRITE_TOKEN are set, a hosted project. Fields that
editors added (a poster, a bio) survive a re-import; drafts are left alone.
Exit code: 0 when every review imported, 1 when any failed, 2 for bad arguments.
`

function parseSeedArgs(argv: readonly string[]): CliArgs<SeedOptions> {
  try {
    const {values, positionals} = parseArgs({
      args: [...argv],
      options: {
        file: {type: 'string'},
        dir: {type: 'string'},
        facts: {type: 'string'},
        out: {type: 'string'},
        'dry-run': {type: 'boolean', default: false},
        help: {type: 'boolean', short: 'h', default: false},
      },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) return {kind: 'help'}
    if (positionals.length > 0) return {kind: 'error', message: `unexpected argument "${positionals[0]}"`}
    for (const name of ['file', 'dir', 'facts', 'out'] as const) {
      if (values[name] === '') return {kind: 'error', message: `--${name} needs a path`}
    }
    if (values.file !== undefined && values.dir !== undefined) return {kind: 'error', message: 'give --file or --dir, not both'}
    if (values.dir !== undefined && values.facts !== undefined) {
      return {kind: 'error', message: '--facts goes with --file; in a folder each review uses <film-slug>.facts.ts next to it'}
    }
    return {
      kind: 'run',
      options: {
        ...(values.dir === undefined ? {file: values.file ?? DEFAULT_REVIEW_FILE} : {dir: values.dir}),
        ...(values.facts === undefined ? {} : {facts: values.facts}),
        ...(values.out === undefined ? {} : {out: values.out}),
        dryRun: values['dry-run'],
      },
    }
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

runIfEntry(import.meta.url, {usage: USAGE, parse: parseSeedArgs, run: (options) => runSeed(options, defaultSeedDeps())})
