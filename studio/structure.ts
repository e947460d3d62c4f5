import {CommentIcon} from '@sanity/icons/Comment'
import {DocumentTextIcon} from '@sanity/icons/DocumentText'
import {map} from 'rxjs'
import type {StructureBuilder, StructureResolver, StructureResolverContext} from 'sanity/structure'

import {COMMENT_STATUSES} from '../schemas/constants'

type CommentStatus = (typeof COMMENT_STATUSES)[number]['value']

function commentList(S: StructureBuilder, id: string, title: string, statuses: CommentStatus[]) {
  return S.listItem()
    .id(id)
    .title(title)
    .icon(CommentIcon)
    .child(
      S.documentList()
        .id(id)
        .title(title)
        .schemaType('comment')
        .apiVersion('2025-02-19')
        .filter('_type == "comment" && status in $statuses')
        .params({statuses})
        .defaultOrdering([{field: 'createdAt', direction: 'asc'}]),
    )
}

/** Films, People, Reviews (all and per film) and Comments split by moderation status. */
export const structure: StructureResolver = (S, context) =>
  S.list()
    .title('Content')
    .items([
      S.documentTypeListItem('film').title('Films'),
      S.documentTypeListItem('person').title('People'),
      S.listItem()
        .id('reviews')
        .title('Reviews')
        .icon(DocumentTextIcon)
        .child(
          S.list()
            .id('reviews')
            .title('Reviews')
            .items([
              S.listItem()
                .id('all-reviews')
                .title('All reviews')
                .icon(DocumentTextIcon)
                .child(
                  S.documentTypeList('review')
                    .id('all-reviews')
                    .title('All reviews')
                    .defaultOrdering([{field: 'publishedOn', direction: 'desc'}]),
                ),
              S.listItem()
                .id('reviews-by-film')
                .title('Reviews by film')
                .child(
                  S.documentTypeList('film')
                    .id('reviews-by-film')
                    .title('Reviews by film')
                    .child((filmId) =>
                      S.documentList()
                        .id(`reviews-of-${filmId}`)
                        .title('Reviews')
                        .schemaType('review')
                        .apiVersion('2025-02-19')
                        .filter('_type == "review" && film._ref == $filmId')
                        .params({filmId})
                        .defaultOrdering([{field: 'publishedOn', direction: 'desc'}]),
                    ),
                ),
            ]),
        ),
      S.divider(),
      S.listItem()
        .id('comments')
        .title('Comments')
        .icon(CommentIcon)
        .child(() => commentsByStatus(S, context)),
    ])

/** Comments by moderation status, pending first, with live counts in the titles. */
function commentsByStatus(S: StructureBuilder, context: StructureResolverContext) {
  const counts = context.documentStore.listenQuery(
    {
      fetch: `{
        "pending": count(*[_type == "comment" && status == "pending"]),
        "approved": count(*[_type == "comment" && status == "approved"]),
        "rejected": count(*[_type == "comment" && status in ["rejected", "spam"]])
      }`,
      listen: '*[_type == "comment"]',
    },
    {},
    {perspective: 'published'},
  )
  return counts.pipe(
    map((value) => {
      const count = value as {pending?: number; approved?: number; rejected?: number} | null
      const title = (label: string, n: number | undefined) =>
        n === undefined ? label : `${label} (${n})`
      return S.list()
        .id('comments')
        .title('Comments')
        .items([
          commentList(S, 'pending-comments', title('Pending', count?.pending), ['pending']),
          commentList(S, 'approved-comments', title('Approved', count?.approved), ['approved']),
          commentList(S, 'rejected-comments', title('Rejected/Spam', count?.rejected), [
            'rejected',
            'spam',
          ]),
        ])
    }),
  )
}
