import {UserIcon} from '@sanity/icons/User'
import {defineField, defineType} from 'sanity'

/** One cast credit; billing is the position in the film's `cast` array. */
export const castMember = defineType({
  name: 'castMember',
  title: 'Cast member',
  type: 'object',
  icon: UserIcon,
  fields: [
    defineField({
      name: 'person',
      title: 'Person',
      type: 'reference',
      to: [{type: 'person'}],
      validation: (rule) => rule.required().error('A cast credit needs a person.'),
    }),
    defineField({
      name: 'characterName',
      title: 'Character',
      type: 'string',
    }),
    defineField({
      name: 'isVoice',
      title: 'Voice role',
      description: 'The person is heard but not seen.',
      type: 'boolean',
      initialValue: false,
    }),
  ],
  preview: {
    select: {
      name: 'person.name',
      character: 'characterName',
      isVoice: 'isVoice',
      media: 'person.image',
    },
    prepare({name, character, isVoice, media}) {
      return {
        title: name || 'No person selected',
        subtitle: [character ? `as ${character}` : undefined, isVoice ? '(voice)' : undefined]
          .filter(Boolean)
          .join(' '),
        media,
      }
    },
  },
})
