import type {FilmFacts} from '../importer/facts'

/**
 * Curated facts for Her (2013, written and directed by Spike Jonze), checked
 * against the film's credits. The review text misspells Scarlett Johansson and
 * leaves Olivia Wilde's character unnamed; everything else here adds to it (the
 * review's details lines give neither runtime, country nor language). The poster is
 * artwork made for this project.
 */
const facts: FilmFacts = {
  film: {title: 'Her', releaseYear: 2013},
  // Made for this project (her-2013-poster.svg, rendered to JPEG): no third-party artwork.
  poster: {
    file: 'her-2013-poster.jpg',
    alt: 'Poster: the word “her” under a glowing earpiece on a coral-to-orange sky, with the line “A love story · 2013”',
  },
  genres: ['drama', 'romance', 'science-fiction'],
  runtimeMinutes: 126,
  countries: ['US'],
  languages: ['en'],
  people: [{name: 'Scarlett Johansson', aliases: ['Scarlet Johansson']}],
  cast: [
    {person: 'Joaquin Phoenix', characterName: 'Theodore Twombly'},
    {person: 'Amy Adams', characterName: 'Amy'},
    {person: 'Scarlett Johansson', characterName: 'Samantha', isVoice: true},
    {person: 'Olivia Wilde', characterName: 'Blind Date'},
    {person: 'Rooney Mara', characterName: 'Catherine'},
    {person: 'Chris Pratt', characterName: 'Paul'},
    {person: 'Portia Doubleday', characterName: 'Isabella'},
    {person: 'Matt Letscher', characterName: 'Charles'},
    {person: 'Kristen Wiig', characterName: 'SexyKitten', isVoice: true},
    {person: 'Brian Cox', characterName: 'Alan Watts', isVoice: true},
  ],
  crew: [
    {person: 'Spike Jonze', job: 'director'},
    {person: 'Spike Jonze', job: 'writer'},
    {person: 'Spike Jonze', job: 'producer'},
    {person: 'Megan Ellison', job: 'producer'},
    {person: 'Vincent Landay', job: 'producer'},
    {person: 'Hoyte van Hoytema', job: 'cinematographer'},
    {person: 'Arcade Fire', job: 'composer'},
    {person: 'Owen Pallett', job: 'composer'},
    {person: 'Eric Zumbrunnen', job: 'editor'},
    {person: 'Jeff Buchanan', job: 'editor'},
  ],
}

export default facts
