/**
 * `npm run comments:migrate` — moves comments stored before moderation kept them private (pending,
 * rejected or spam at a public id) to their private ids, and makes `parent` references weak.
 * Argument parsing and process wiring live here; `run` takes its I/O as `deps`.
 */
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import {createClient} from '@sanity/client'

import {migrateComments, planCommentMigration, type MigrationClient} from '../comments/migrate'
import {clientConfig, resolveTarget, type SanityTarget} from '../lib/env'

export const USAGE = `Usage: npm run comments:migrate -- [--dry-run]

Moves every comment that is not approved but sits at a public id (readable by anyone in a
public dataset) to its private id moderation.<id>, and makes parent references weak.

  --dry-run   List what would change, and write nothing.
  -h, --help  Show this help.

The dataset is the one from lib/env.ts: the local lake, or a hosted project when
SANITY_PROJECT_ID, SANITY_DATASET and SANITY_API_WRITE_TOKEN are set.
`

export interface MigrateOptions {
  dryRun: boolean
}

export interface MigrateDeps {
  target(): SanityTarget
  createClient(target: SanityTarget): MigrationClient
  stdout(text: string): void
  stderr(text: string): void
}

export type ParsedArgs = {kind: 'help'} | {kind: 'run'; options: MigrateOptions} | {kind: 'error'; message: string}

export function parseMigrateArgs(argv: readonly string[]): ParsedArgs {
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

/** Plans, prints and (unless a dry run) carries out the migration; returns the exit code. */
export async function run(options: MigrateOptions, deps: MigrateDeps): Promise<number> {
  const target = deps.target()
  const where = `${target.kind === 'lake' ? 'local lake' : 'project'} ${target.projectId}, dataset ${target.dataset}`
  const client = deps.createClient(target)
  try {
    const plan = await planCommentMigration(client)
    const verb = options.dryRun ? 'would move' : 'moving'
    for (const {id, status} of plan.exposed) deps.stdout(`${verb} ${status} comment ${id} to moderation.${id}\n`)
    for (const id of plan.strongParents) deps.stdout(`${options.dryRun ? 'would make' : 'making'} the parent reference of ${id} weak\n`)
    if (plan.exposed.length === 0 && plan.strongParents.length === 0) {
      deps.stdout(`Nothing to migrate in ${where}.\n`)
      return 0
    }
    if (options.dryRun) {
      deps.stdout(`Dry run: nothing was written to ${where}.\n`)
      return 0
    }
    await migrateComments(client, plan)
    deps.stdout(`Moved ${plan.exposed.length} comment(s) and weakened ${plan.strongParents.length} parent reference(s) in ${where}.\n`)
    return 0
  } catch (error) {
    deps.stderr(
      `error: ${error instanceof Error ? error.message : String(error)}\n` +
        (target.kind === 'lake' ? 'Is the local lake running? Start it with "npm start" or "npm run lake".\n' : 'Check SANITY_API_WRITE_TOKEN: migrating needs write access.\n'),
    )
    return 1
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href
if (isMain) {
  const parsed = parseMigrateArgs(process.argv.slice(2))
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE)
  } else if (parsed.kind === 'error') {
    process.stderr.write(`error: ${parsed.message}\n\n${USAGE}`)
    process.exitCode = 2
  } else {
    process.exitCode = await run(parsed.options, {
      target: () => resolveTarget(),
      createClient: (target) => createClient(clientConfig(target)),
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    })
  }
}
