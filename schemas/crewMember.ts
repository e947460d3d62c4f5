import {UsersIcon} from '@sanity/icons/Users'
import {defineField, defineType} from 'sanity'

import {CREW_JOBS, titleOf} from './constants'

export const crewMember = defineType({
  name: 'crewMember',
  title: 'Crew member',
  type: 'object',
  icon: UsersIcon,
  fields: [
    defineField({
      name: 'person',
      title: 'Person',
      type: 'reference',
      to: [{type: 'person'}],
      validation: (rule) => rule.required().error('A crew credit needs a person.'),
    }),
    defineField({
      name: 'job',
      title: 'Job',
      type: 'string',
      options: {list: CREW_JOBS.map(({title, value}) => ({title, value}))},
      // Sanity also checks the value against the list; one message covers both.
      validation: (rule) => rule.required().error("Choose the crew member's job from the list."),
    }),
  ],
  preview: {
    select: {name: 'person.name', job: 'job', media: 'person.image'},
    prepare({name, job, media}) {
      return {
        title: name || 'No person selected',
        subtitle: titleOf(CREW_JOBS, job as string | undefined) ?? job,
        media,
      }
    },
  },
})
