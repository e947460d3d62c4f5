/**
 * Where a comment is stored depends on its moderation state. In a public Sanity dataset every
 * document whose `_id` has no `.` is readable by anyone, so only approved comments live at a public
 * id (`comment-<uuid>`); pending, rejected and spam comments live at the private id
 * `moderation.comment-<uuid>`, which only authenticated editors can read. Approving moves a comment
 * to its public id and rejecting moves it back, each in one transaction (see `./moderation`).
 *
 * No Node imports: the Studio bundle uses this module too.
 */

/** The private path of comments awaiting (or failed) moderation. */
export const MODERATION_PATH = 'moderation'
const PRIVATE_PREFIX = `${MODERATION_PATH}.`
const DRAFTS_PREFIX = 'drafts.'
const VERSIONS_PREFIX = 'versions.'

/** Public Sanity document ids: no `.` (that would make them drafts, versions or private). */
export const PUBLIC_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/

export function isPublicId(id: string): boolean {
  return PUBLIC_ID.test(id)
}

/**
 * The public id of a comment from any of the ids it can have in the Studio: `comment-x`,
 * `moderation.comment-x`, `drafts.comment-x`, `drafts.moderation.comment-x` or a release version.
 */
export function publicCommentId(id: string): string {
  let rest = id
  if (rest.startsWith(DRAFTS_PREFIX)) rest = rest.slice(DRAFTS_PREFIX.length)
  else if (rest.startsWith(VERSIONS_PREFIX)) rest = rest.split('.').slice(2).join('.')
  if (rest.startsWith(PRIVATE_PREFIX)) rest = rest.slice(PRIVATE_PREFIX.length)
  return rest
}

/** The private id a comment has while it is pending, rejected or spam. */
export function privateCommentId(id: string): string {
  return `${PRIVATE_PREFIX}${publicCommentId(id)}`
}

/** The ids one comment can be stored under outside releases: public, private and their drafts. */
export function commentIdsOf(id: string): {public: string; publicDraft: string; private: string; privateDraft: string} {
  const publicId = publicCommentId(id)
  const privateId = privateCommentId(id)
  return {public: publicId, publicDraft: `${DRAFTS_PREFIX}${publicId}`, private: privateId, privateDraft: `${DRAFTS_PREFIX}${privateId}`}
}
