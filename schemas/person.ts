import {UserIcon} from '@sanity/icons/User'
import {defineArrayMember, defineField, defineType} from 'sanity'

import {requireAltWhenImageSet} from './validation'

export const person = defineType({
  name: 'person',
  title: 'Person',
  type: 'document',
  icon: UserIcon,
  fields: [
    defineField({
      name: 'name',
      title: 'Name',
      type: 'string',
      validation: (rule) => rule.required().error('A person needs a name.'),
    }),
    defineField({
      name: 'slug',
      title: 'Slug',
      type: 'slug',
      options: {source: 'name', maxLength: 96},
      // The message also covers Sanity's uniqueness check, which is merged into this rule.
      validation: (rule) =>
        rule.required().error('A person needs a unique slug; generate it from the name.'),
    }),
    defineField({
      name: 'aliases',
      title: 'Aliases',
      description: 'Other spellings of the name seen in imported text, e.g. "Scarlet Johansson".',
      type: 'array',
      of: [defineArrayMember({type: 'string'})],
      options: {layout: 'tags'},
      validation: (rule) => rule.unique().error('Each alias should be listed once.'),
    }),
    defineField({
      name: 'bio',
      title: 'Biography',
      type: 'blockContent',
    }),
    defineField({
      name: 'image',
      title: 'Image',
      type: 'image',
      options: {hotspot: true},
      fields: [
        defineField({
          name: 'alt',
          title: 'Alternative text',
          type: 'string',
          validation: (rule) => rule.custom(requireAltWhenImageSet('image')),
        }),
      ],
    }),
  ],
  orderings: [{title: 'Name', name: 'nameAsc', by: [{field: 'name', direction: 'asc'}]}],
  preview: {
    select: {title: 'name', aliases: 'aliases', media: 'image'},
    prepare({title, aliases, media}) {
      const other = (aliases as string[] | undefined) ?? []
      return {
        title: title || 'Unnamed person',
        subtitle: other.length ? `Also spelled ${other.join(', ')}` : undefined,
        media,
      }
    },
  },
})
