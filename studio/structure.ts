import {CommentIcon} from '@sanity/icons/Comment'
import {DocumentTextIcon} from '@sanity/icons/DocumentText'
import type {StructureBuilder, StructureResolver} from 'sanity/structure'

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
export const structure: StructureResolver = (S) =>
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
        .child(
          S.list()
            .id('comments')
            .title('Comments')
            .items([
              commentList(S, 'pending-comments', 'Pending', ['pending']),
              commentList(S, 'approved-comments', 'Approved', ['approved']),
              commentList(S, 'rejected-comments', 'Rejected/Spam', ['rejected', 'spam']),
            ]),
        ),
    ])
