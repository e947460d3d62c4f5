import {CommentIcon} from '@sanity/icons/Comment'
import {defineField, defineType, getPublishedId} from 'sanity'

import {isPublicId, publicCommentId} from '../comments/ids'
import {COMMENT_STATUSES, titleOf} from './constants'

/** How much of the body a preview shows. */
const PREVIEW_LENGTH = 80

/**
 * A reader's comment on a review. Public once approved, so it holds no e-mail
 * address, IP or other personal data: only the name the reader chose to show.
 *
 * Where it is stored says its moderation state: pending, rejected and spam comments live at the
 * private id `moderation.comment-…`, approved ones at the public `comment-…`. The Approve and
 * Reject actions move them (see `comments/moderation.ts`); `status` is theirs to set.
 */
export const comment = defineType({
  name: 'comment',
  title: 'Comment',
  type: 'document',
  icon: CommentIcon,
  // Belt and braces for edits made outside the Approve/Reject actions.
  validation: (rule) =>
    rule.custom((document) => {
      const value = document as {_id?: string; status?: string} | undefined
      // Only a known, unapproved status: a missing or unknown one has its own message on the field.
      const unapproved = COMMENT_STATUSES.some((status) => status.value === value?.status && status.value !== 'approved')
      if (!value?._id || !unapproved) return true
      return isPublicId(getPublishedId(value._id))
        ? 'Only approved comments may be public: use Reject to take this comment back into moderation.'
        : true
    }),
  fields: [
    defineField({
      name: 'review',
      title: 'Review',
      type: 'reference',
      to: [{type: 'review'}],
      validation: (rule) => rule.required().error('A comment must belong to a review.'),
    }),
    defineField({
      name: 'parent',
      title: 'In reply to',
      type: 'reference',
      to: [{type: 'comment'}],
      // Weak: rejecting the parent moves it to its private id, which a strong reference would block.
      // The site then shows the reply at the top level, marked as answering a removed comment.
      weak: true,
      options: {
        // Only offer comments on the same review.
        filter: ({document}) => {
          const reviewRef = (document as {review?: {_ref?: string}}).review?._ref
          return reviewRef
            ? {
                filter: 'review._ref == $review && _id != $self && _id in path("*")',
                params: {review: reviewRef, self: getPublishedId(document._id)},
              }
            : {filter: 'false'}
        },
      },
      validation: (rule) =>
        rule.custom(async (parent, context) => {
          if (!parent?._ref) return true
          const document = context.document as {_id: string; review?: {_ref?: string}} | undefined
          if (!document) return true
          // Public or private (moderation.), draft or not: the same comment.
          if (publicCommentId(parent._ref) === publicCommentId(document._id)) {
            return 'A comment cannot reply to itself.'
          }
          const client = context.getClient({apiVersion: '2025-02-19'})
          const parentReview = await client.fetch<string | null>(
            '*[_id in [$id, "drafts." + $id]][0].review._ref',
            {id: parent._ref},
          )
          if (parentReview && parentReview !== document.review?._ref) {
            return 'A reply must be on the same review as the comment it answers.'
          }
          return true
        }),
    }),
    defineField({
      name: 'authorName',
      title: 'Author name',
      type: 'string',
      validation: (rule) => [
        rule.required().error('A comment needs an author name.'),
        rule.max(80).error('An author name must be at most 80 characters.'),
      ],
    }),
    defineField({
      name: 'body',
      title: 'Comment',
      type: 'text',
      rows: 5,
      validation: (rule) => [
        rule.required().error('A comment cannot be empty.'),
        rule.max(5000).error('A comment must be at most 5000 characters.'),
      ],
    }),
    defineField({
      name: 'status',
      title: 'Status',
      description: 'Set by the Approve and Reject actions, which also make the comment public or private.',
      type: 'string',
      readOnly: true,
      initialValue: 'pending',
      options: {list: COMMENT_STATUSES.map(({title, value}) => ({title, value})), layout: 'radio'},
      // Sanity also checks the value against the list; one message covers both.
      validation: (rule) =>
        rule.required().error('Choose a moderation status: pending, approved, rejected or spam.'),
    }),
    defineField({
      name: 'createdAt',
      title: 'Created at',
      type: 'datetime',
      initialValue: () => new Date().toISOString(),
      validation: (rule) => rule.required().error('A comment needs its creation time.'),
    }),
  ],
  orderings: [
    {title: 'Newest first', name: 'createdAtDesc', by: [{field: 'createdAt', direction: 'desc'}]},
    {title: 'Oldest first', name: 'createdAtAsc', by: [{field: 'createdAt', direction: 'asc'}]},
  ],
  preview: {
    select: {
      authorName: 'authorName',
      body: 'body',
      status: 'status',
      reviewTitle: 'review.title',
      parentAuthor: 'parent.authorName',
    },
    prepare({authorName, body, status, reviewTitle, parentAuthor}) {
      const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim() : ''
      const start = text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH)}…` : text
      return {
        title: authorName || 'Anonymous',
        subtitle: [titleOf(COMMENT_STATUSES, status as string | undefined), start || undefined]
          .filter(Boolean)
          .join(' · '),
        description: [
          reviewTitle ? `On “${reviewTitle}”` : undefined,
          parentAuthor ? `reply to ${parentAuthor}` : undefined,
        ]
          .filter(Boolean)
          .join(', '),
      }
    },
  },
})
