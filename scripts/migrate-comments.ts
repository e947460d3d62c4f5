/**
 * `npm run comments:migrate` — moves comments stored before moderation kept them private (pending,
 * rejected or spam at a public id) to their private ids, and makes `parent` references weak.
 * Argument parsing and process wiring live here; the command is `runCommentMigration` in comments/.
 */
import {parseArgs} from 'node:util'

import {createClient} from '@sanity/client'

import {runCommentMigration, type CommentMigrationOptions} from '../comments/migrate'
import {type CliArgs, runIfEntry} from '../lib/cli'
import {clientConfig, resolveTarget} from '../lib/env'

const USAGE = `Usage: npm run comments:migrate -- [--dry-run]

Moves every comment that is not approved but sits at a public id (readable by anyone in a
public dataset) to its private id moderation.<id>, and makes parent references weak.

  --dry-run   List what would change, and write nothing.
  -h, --help  Show this help.

The dataset is the one from lib/env.ts: the local lake, or a hosted project when
SANITY_PROJECT_ID, SANITY_DATASET and SANITY_API_WRITE_TOKEN are set.
`

function parseMigrateArgs(argv: readonly string[]): CliArgs<CommentMigrationOptions> {
  try {
    const {values, positionals} = parseArgs({
      args: [...argv],
      options: {'dry-run': {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false}},
      strict: true,
      allowPositionals: true,
    })
    if (values.help) return {kind: 'help'}
    if (positionals.length > 0) return {kind: 'error', message: `unexpected argument "${positionals[0]}"`}
    return {kind: 'run', options: {dryRun: values['dry-run']}}
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

runIfEntry(import.meta.url, {
  usage: USAGE,
  parse: parseMigrateArgs,
  run: (options) =>
    runCommentMigration(options, {
      target: () => resolveTarget(),
      createClient: (target) => createClient(clientConfig(target)),
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    }),
})
