import {ThListIcon} from '@sanity/icons/ThList'
import {defineField, defineType} from 'sanity'

import {hasContent} from './validation'

/** A headed part of a review; the review's `sections` array keeps them in reading order. */
export const reviewSection = defineType({
  name: 'reviewSection',
  title: 'Review section',
  type: 'object',
  icon: ThListIcon,
  fields: [
    defineField({
      name: 'heading',
      title: 'Heading',
      type: 'string',
      validation: (rule) => rule.required().error('A section needs a heading.'),
    }),
    defineField({
      name: 'body',
      title: 'Body',
      type: 'blockContent',
      validation: (rule) => [
        rule.required().error('A section needs a body.'),
        rule.custom((body) =>
          body === undefined || hasContent(body) ? true : 'A section body cannot be empty.',
        ),
      ],
    }),
  ],
  preview: {
    select: {title: 'heading', body: 'body'},
    prepare({title, body}) {
      const blocks = (body as unknown[] | undefined) ?? []
      return {
        title: title || 'Untitled section',
        subtitle: `${blocks.length} paragraph${blocks.length === 1 ? '' : 's'}`,
      }
    },
  },
})
