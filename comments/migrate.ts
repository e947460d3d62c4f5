/**
 * Brings comments stored before moderation moved them between ids (see `./ids`) to the current
 * layout: an unapproved comment at a public id is moved to its private id (as Reject would), and a
 * strong `parent` reference becomes weak, so that rejecting a parent is never blocked.
 */
import type {SanityClient} from '@sanity/client'

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
