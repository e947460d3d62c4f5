import {createClient} from '@sanity/client'
import {clientConfig, fetchTyped, reviewPageQuery} from 'film-review-sanity'

const client = createClient(clientConfig())
export const wrong = fetchTyped(client, reviewPageQuery, {slug: 3})
