/**
 * Brings comments stored before moderation moved them between ids (see `./ids`) to the current
 * layout: an unapproved comment at a public id is moved to its private id (as Reject would), and a
 * strong `parent` reference becomes weak, so that rejecting a parent is never blocked.
 */
import type {SanityClient} from '@sanity/client'

import {describeTarget} from '../lib/backend-error'
import type {SanityTarget} from '../lib/env'
import type {CommentStatus} from '../schemas/constants'
import {moderateComments} from './moderation'

export type MigrationClient = Pick<SanityClient, 'fetch' | 'getDocuments' | 'transaction'>

export interface MigrationPlan {
  /** Public comments that are not approved, by status: moved to their private ids. */
  exposed: Array<{id: string; status: CommentStatus}>
  /** Comments (any id, drafts included) whose `parent` reference is strong. */
  strongParents: string[]
}

const EXPOSED = '*[_type == "comment" && _id in path("*") && status != "approved"] | order(_id asc){"id": _id, status}'
const STRONG_PARENTS = '*[_type == "comment" && defined(parent._ref) && parent._weak != true] | order(_id asc)._id'

export async function planCommentMigration(client: MigrationClient): Promise<MigrationPlan> {
  const [exposed, strongParents] = await Promise.all([
    client.fetch<MigrationPlan['exposed']>(EXPOSED, {}, {perspective: 'raw'}),
    client.fetch<string[]>(STRONG_PARENTS, {}, {perspective: 'raw'}),
  ])
  return {exposed, strongParents}
}

/**
 * Carries out the plan: first the references (one transaction), then each status group (one
 * transaction each, revision-guarded). Running it again finds nothing to do.
 */
export async function migrateComments(client: MigrationClient, plan: MigrationPlan): Promise<void> {
  if (plan.strongParents.length > 0) {
    const transaction = client.transaction()
    for (const id of plan.strongParents) transaction.patch(id, (patch) => patch.set({'parent._weak': true}))
    await transaction.commit({visibility: 'sync'})
  }
  const byStatus = new Map<CommentStatus, string[]>()
  for (const {id, status} of plan.exposed) byStatus.set(status, [...(byStatus.get(status) ?? []), id])
  for (const [status, ids] of byStatus) await moderateComments(client, ids, status)
}

export interface CommentMigrationOptions {
  dryRun: boolean
}

export interface CommentMigrationDeps {
  target(): SanityTarget
  createClient(target: SanityTarget): MigrationClient
  stdout(text: string): void
  stderr(text: string): void
}

/** `npm run comments:migrate`: plans, prints and (unless a dry run) carries out the migration; returns the exit code. */
export async function runCommentMigration(options: CommentMigrationOptions, deps: CommentMigrationDeps): Promise<number> {
  const target = deps.target()
  const where = describeTarget(target)
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
