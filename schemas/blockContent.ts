import {EyeClosedIcon} from '@sanity/icons/EyeClosed'
import {LinkIcon} from '@sanity/icons/Link'
import {UserIcon} from '@sanity/icons/User'
import {defineArrayMember, defineField, defineType} from 'sanity'

import {LINK_SCHEMES} from './constants'
import {SpoilerDecorator} from '../studio/components/SpoilerDecorator'

/**
 * Portable Text used for bios, review intros and section bodies. The `spoiler`
 * decorator and `mention` annotation are part of the public contract: frontends
 * hide spoilers until revealed and link mentions to their person or film.
 */
export const blockContent = defineType({
  name: 'blockContent',
  title: 'Block content',
  type: 'array',
  of: [
    defineArrayMember({
      type: 'block',
      styles: [
        {title: 'Normal', value: 'normal'},
        {title: 'Heading 3', value: 'h3'},
        {title: 'Heading 4', value: 'h4'},
        {title: 'Quote', value: 'blockquote'},
      ],
      lists: [
        {title: 'Bullet', value: 'bullet'},
        {title: 'Numbered', value: 'number'},
      ],
      marks: {
        decorators: [
          {title: 'Strong', value: 'strong'},
          {title: 'Emphasis', value: 'em'},
          {title: 'Spoiler', value: 'spoiler', icon: EyeClosedIcon, component: SpoilerDecorator},
        ],
        annotations: [
          defineArrayMember({
            name: 'link',
            title: 'Link',
            type: 'object',
            icon: LinkIcon,
            fields: [
              defineField({
                name: 'href',
                title: 'URL',
                type: 'url',
                validation: (rule) =>
                  rule
                    .required()
                    .uri({scheme: [...LINK_SCHEMES]})
                    .error('A link needs an http, https or mailto address.'),
              }),
            ],
          }),
          defineArrayMember({
            name: 'mention',
            title: 'Mention',
            type: 'object',
            icon: UserIcon,
            fields: [
              defineField({
                name: 'reference',
                title: 'Person or film',
                type: 'reference',
                to: [{type: 'person'}, {type: 'film'}],
                validation: (rule) =>
                  rule.required().error('A mention must point to a person or a film.'),
              }),
            ],
          }),
        ],
      },
    }),
  ],
})
