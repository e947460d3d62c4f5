import {PlayIcon} from '@sanity/icons/Play'
import {defineArrayMember, defineField, defineType} from 'sanity'

import {COUNTRIES, FIRST_FILM_YEAR, GENRES, LANGUAGES, MAX_RUNTIME_MINUTES, titleOf} from './constants'
import {latestReleaseYear, requireAltWhenImageSet} from './validation'

export const film = defineType({
  name: 'film',
  title: 'Film',
  type: 'document',
  icon: PlayIcon,
  groups: [
    {name: 'details', title: 'Details', default: true},
    {name: 'credits', title: 'Cast & crew'},
    {name: 'media', title: 'Media'},
  ],
  fields: [
    defineField({
      name: 'title',
      title: 'Title',
      type: 'string',
      group: 'details',
      validation: (rule) => rule.required().error('A film needs a title.'),
    }),
    defineField({
      name: 'originalTitle',
      title: 'Original title',
      type: 'string',
      group: 'details',
      description: 'The title in the original language, when it differs from the title above.',
      validation: (rule) => rule.max(200).error('An original title must be at most 200 characters.'),
    }),
    defineField({
      name: 'releaseYear',
      title: 'Release year',
      type: 'number',
      group: 'details',
      validation: (rule) => [
        rule.required().error('A film needs its release year.'),
        rule.integer().error('The release year must be a whole number.'),
        rule.custom((year) => {
          if (year === undefined) return true
          const latest = latestReleaseYear()
          return year >= FIRST_FILM_YEAR && year <= latest
            ? true
            : `The release year must be between ${FIRST_FILM_YEAR} and ${latest}.`
        }),
      ],
    }),
    defineField({
      name: 'productionYear',
      title: 'Production year',
      type: 'number',
      group: 'details',
      validation: (rule) => [
        rule.integer().error('The production year must be a whole number.'),
        rule.custom((year, context) => {
          if (year === undefined) return true
          const releaseYear = (context.document as {releaseYear?: unknown} | undefined)?.releaseYear
          const latest = typeof releaseYear === 'number' ? releaseYear : latestReleaseYear()
          return year >= FIRST_FILM_YEAR && year <= latest
            ? true
            : `The production year must be between ${FIRST_FILM_YEAR} and ${latest}${typeof releaseYear === 'number' ? ', the release year' : ''}.`
        }),
      ],
    }),
    defineField({
      name: 'slug',
      title: 'Slug',
      type: 'slug',
      group: 'details',
      description: 'Generated from the title and year, e.g. "her-2013".',
      options: {
        source: (doc) => [doc.title, doc.releaseYear].filter(Boolean).join(' '),
        maxLength: 96,
      },
      // The message also covers Sanity's uniqueness check, which is merged into this rule.
      validation: (rule) =>
        rule.required().error('A film needs a unique slug; generate it from the title and year.'),
    }),
    defineField({
      name: 'logline',
      title: 'Logline',
      type: 'text',
      rows: 3,
      group: 'details',
      validation: (rule) => rule.max(300).error('A logline must be at most 300 characters.'),
    }),
    defineField({
      name: 'genres',
      title: 'Genres',
      type: 'array',
      group: 'details',
      of: [defineArrayMember({type: 'string'})],
      options: {list: GENRES.map(({title, value}) => ({title, value})), layout: 'grid'},
      // Sanity checks each item against the list and merges that check into every
      // rule given here, so one sentence covers missing, repeated and unknown genres.
      validation: (rule) =>
        rule.required().min(1).unique().error('Pick one or more different genres from the list.'),
    }),
    defineField({
      name: 'runtimeMinutes',
      title: 'Runtime (minutes)',
      type: 'number',
      group: 'details',
      validation: (rule) => [
        rule.integer().error('The runtime must be a whole number of minutes.'),
        rule.min(1).max(MAX_RUNTIME_MINUTES).error(`The runtime must be between 1 and ${MAX_RUNTIME_MINUTES} minutes.`),
      ],
    }),
    defineField({
      name: 'countries',
      title: 'Countries',
      description: 'Countries of production, in the order the credits give them.',
      type: 'array',
      group: 'details',
      // One dropdown per country: a grid of 250 checkboxes would bury the field.
      of: [
        defineArrayMember({
          type: 'string',
          options: {list: COUNTRIES.map(({title, value}) => ({title, value}))},
          // Sanity merges its check against the list into this rule, so this is its message.
          validation: (rule) => rule.error('Pick the country from the list.'),
        }),
      ],
      validation: (rule) => rule.unique().error('List each country once.'),
    }),
    defineField({
      name: 'languages',
      title: 'Languages',
      description: 'Spoken languages, the main one first.',
      type: 'array',
      group: 'details',
      of: [
        defineArrayMember({
          type: 'string',
          options: {list: LANGUAGES.map(({title, value}) => ({title, value}))},
          validation: (rule) => rule.error('Pick the language from the list.'),
        }),
      ],
      validation: (rule) => rule.unique().error('List each language once.'),
    }),
    defineField({
      name: 'crew',
      title: 'Crew',
      type: 'array',
      group: 'credits',
      of: [defineArrayMember({type: 'crewMember'})],
    }),
    defineField({
      name: 'cast',
      title: 'Cast',
      description: 'In billing order: drag to change it.',
      type: 'array',
      group: 'credits',
      of: [defineArrayMember({type: 'castMember'})],
    }),
    defineField({
      name: 'poster',
      title: 'Poster',
      type: 'image',
      group: 'media',
      options: {hotspot: true},
      fields: [
        defineField({
          name: 'alt',
          title: 'Alternative text',
          type: 'string',
          validation: (rule) => rule.custom(requireAltWhenImageSet('poster')),
        }),
      ],
    }),
  ],
  orderings: [
    {
      title: 'Release year, newest',
      name: 'releaseYearDesc',
      by: [
        {field: 'releaseYear', direction: 'desc'},
        {field: 'title', direction: 'asc'},
      ],
    },
    {
      title: 'Release year, oldest',
      name: 'releaseYearAsc',
      by: [
        {field: 'releaseYear', direction: 'asc'},
        {field: 'title', direction: 'asc'},
      ],
    },
    {title: 'Title', name: 'titleAsc', by: [{field: 'title', direction: 'asc'}]},
  ],
  preview: {
    select: {
      title: 'title',
      year: 'releaseYear',
      genres: 'genres',
      media: 'poster',
      job0: 'crew.0.job',
      name0: 'crew.0.person.name',
      job1: 'crew.1.job',
      name1: 'crew.1.person.name',
      job2: 'crew.2.job',
      name2: 'crew.2.person.name',
    },
    prepare({title, year, genres, media, job0, name0, job1, name1, job2, name2}) {
      // Previews cannot filter arrays, so look at the first credits for directors.
      const directors = [
        [job0, name0],
        [job1, name1],
        [job2, name2],
      ]
        .filter(([job, name]) => job === 'director' && name)
        .map(([, name]) => name as string)
      const genreTitles = ((genres as string[] | undefined) ?? [])
        .map((genre) => titleOf(GENRES, genre))
        .filter(Boolean)
      return {
        title: [title || 'Untitled film', year ? `(${year})` : undefined].filter(Boolean).join(' '),
        subtitle: [
          directors.length ? `Directed by ${directors.join(', ')}` : undefined,
          genreTitles.join(', ') || undefined,
        ]
          .filter(Boolean)
          .join(' · '),
        media,
      }
    },
  },
})
