import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderFilmPage, type FilmPage} from '../../site/pages'
import {jsonLdOf, startSite, type SiteFixture} from './support'

let site: SiteFixture

beforeAll(async () => {
  site = await startSite({pageSize: 2})
})

afterAll(async () => {
  await site?.close()
})

describe('the film page shows the film details the importer reads', () => {
  it('lists runtime, country, language and production year of Her, and puts them in the Movie JSON-LD', async () => {
    const response = await fetch(`${site.baseUrl}/films/her-2013`)
    expect(response.status).toBe(200)
    const html = await response.text()
    const facts = /<dl class="facts">(.*?)<\/dl>/s.exec(html)?.[1]
    expect(facts).toContain('<dt>Runtime</dt><dd class="runtime">126 min</dd>')
    expect(facts).toContain('<dt>Country</dt><dd class="countries">United States</dd>')
    expect(facts).toContain('<dt>Language</dt><dd class="languages">English</dd>')
    expect(facts).toContain('<dt>Production year</dt><dd class="production-year">2013</dd>')
    expect(facts).not.toContain('Original title')
    const [movie] = jsonLdOf(html)
    expect(movie).toMatchObject({duration: 'PT126M', countryOfOrigin: [{'@type': 'Country', name: 'United States'}], inLanguage: 'en'})
    expect(movie).not.toHaveProperty('alternateName')
  })

  it('shows an original title and several countries and languages, and leaves out what a film lacks', () => {
    const film: FilmPage = {
      _id: 'film-shoplifters-2018',
      title: 'Shoplifters',
      originalTitle: '万引き家族',
      slug: 'shoplifters-2018',
      releaseYear: 2018,
      productionYear: null,
      logline: null,
      genres: ['drama'],
      runtimeMinutes: null,
      countries: ['JP', 'FR'],
      languages: ['ja', 'yue'],
      poster: null,
      directors: [],
      crew: [],
      cast: [],
      reviews: [],
    }
    const {html} = renderFilmPage(film, {origin: 'http://localhost'})
    const facts = /<dl class="facts">(.*?)<\/dl>/s.exec(html)?.[1]
    expect(facts).toBe(
      '<dt>Genres</dt><dd class="genres">Drama</dd>' +
        '<dt>Original title</dt><dd class="original-title">万引き家族</dd>' +
        '<dt>Countries</dt><dd class="countries">Japan, France</dd>' +
        '<dt>Languages</dt><dd class="languages">Japanese, Cantonese</dd>',
    )
    const [movie] = jsonLdOf(html)
    expect(movie).toMatchObject({alternateName: '万引き家族', countryOfOrigin: [{name: 'Japan'}, {name: 'France'}], inLanguage: ['ja', 'yue']})
    expect(movie).not.toHaveProperty('duration')
  })
})
