import {DocumentTextIcon} from '@sanity/icons/DocumentText'
import {defineArrayMember, defineField, defineType} from 'sanity'

import {REVIEW_KINDS} from './constants'

export const review = defineType({
  name: 'review',
  title: 'Review',
  type: 'document',
  icon: DocumentTextIcon,
  groups: [
    {name: 'content', title: 'Content', default: true},
    {name: 'details', title: 'Details'},
  ],
  fields: [
    defineField({
      name: 'title',
      title: 'Title',
      type: 'string',
      group: 'content',
      validation: (rule) => rule.required().error('A review needs a title.'),
    }),
    defineField({
      name: 'slug',
      title: 'Slug',
      type: 'slug',
      group: 'details',
      options: {source: 'title', maxLength: 96},
      // The message also covers Sanity's uniqueness check, which is merged into this rule.
      validation: (rule) =>
        rule.required().error('A review needs a unique slug; generate it from the title.'),
    }),
    defineField({
      name: 'film',
      title: 'Film',
      type: 'reference',
      to: [{type: 'film'}],
      group: 'details',
      validation: (rule) => rule.required().error('A review must be about a film.'),
    }),
    defineField({
      name: 'author',
      title: 'Author',
      description: 'Leave empty for an anonymous review.',
      type: 'object',
      group: 'details',
      fields: [
        defineField({
          name: 'name',
          title: 'Name',
          type: 'string',
          validation: (rule) => rule.max(80).error('An author name must be at most 80 characters.'),
        }),
      ],
    }),
    defineField({
      name: 'kind',
      title: 'Kind',
      type: 'string',
      group: 'details',
      initialValue: 'user',
      options: {list: REVIEW_KINDS.map(({title, value}) => ({title, value})), layout: 'radio'},
      // Sanity also checks the value against the list; one message covers both.
      validation: (rule) =>
        rule.required().error('Choose whether this is a user or a critic review.'),
    }),
    defineField({
      name: 'publishedOn',
      title: 'Published on',
      type: 'date',
      group: 'details',
      validation: (rule) => rule.required().error('A review needs its publication date.'),
    }),
    defineField({
      name: 'updatedOn',
      title: 'Updated on',
      type: 'date',
      group: 'details',
      validation: (rule) =>
        rule.custom((updatedOn, context) => {
          const publishedOn = (context.document as {publishedOn?: string} | undefined)?.publishedOn
          return updatedOn && publishedOn && updatedOn < publishedOn
            ? 'The update date cannot be before the publication date.'
            : true
        }),
    }),
    defineField({
      name: 'containsSpoilers',
      title: 'Contains spoilers',
      description: 'Readers see a warning before the review.',
      type: 'boolean',
      group: 'details',
      initialValue: false,
    }),
    defineField({
      name: 'rating',
      title: 'Rating',
      description: 'From 0 to 10, in steps of 0.5. Optional.',
      type: 'number',
      group: 'details',
      validation: (rule) => [
        rule.min(0).error('A rating cannot be below 0.'),
        rule.max(10).error('A rating cannot be above 10.'),
        rule.custom((rating) =>
          rating === undefined || Number.isInteger(rating * 2)
            ? true
            : 'A rating must be a whole or half number, like 7 or 7.5.',
        ),
      ],
    }),
    defineField({
      name: 'intro',
      title: 'Introduction',
      description: 'The paragraphs before the first section.',
      type: 'blockContent',
      group: 'content',
    }),
    defineField({
      name: 'sections',
      title: 'Sections',
      type: 'array',
      group: 'content',
      of: [defineArrayMember({type: 'reviewSection'})],
      validation: (rule) => rule.required().min(1).error('A review needs at least one section.'),
    }),
  ],
  orderings: [
    {
      title: 'Published, newest',
      name: 'publishedOnDesc',
      by: [
        {field: 'publishedOn', direction: 'desc'},
        {field: 'title', direction: 'asc'},
      ],
    },
    {
      title: 'Published, oldest',
      name: 'publishedOnAsc',
      by: [
        {field: 'publishedOn', direction: 'asc'},
        {field: 'title', direction: 'asc'},
      ],
    },
  ],
  preview: {
    select: {
      title: 'title',
      filmTitle: 'film.title',
      filmYear: 'film.releaseYear',
      publishedOn: 'publishedOn',
      media: 'film.poster',
    },
    prepare({title, filmTitle, filmYear, publishedOn, media}) {
      const film = [filmTitle, filmYear ? `(${filmYear})` : undefined].filter(Boolean).join(' ')
      return {
        title: title || 'Untitled review',
        subtitle: [film || undefined, publishedOn].filter(Boolean).join(' · '),
        media,
      }
    },
  },
})
