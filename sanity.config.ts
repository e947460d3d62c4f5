import {visionTool} from '@sanity/vision'
import {defineConfig} from 'sanity'
import {structureTool} from 'sanity/structure'

import {apiVersion, defaultDataset, localProjectId} from './lib/constants'
import {schemaTypes} from './schemas'
import {resolveDocumentActions} from './studio/actions'
import {structure} from './studio/structure'

// Build-time settings (Sanity inlines SANITY_STUDIO_* variables into the bundle).
// Without a project id the Studio talks to the embedded local lake.
const projectId = process.env.SANITY_STUDIO_PROJECT_ID || localProjectId
const dataset = process.env.SANITY_STUDIO_DATASET || defaultDataset
const apiHost = process.env.SANITY_STUDIO_API_HOST || undefined

export default defineConfig({
  name: 'default',
  title: 'Film reviews',
  projectId,
  dataset,
  ...(apiHost ? {apiHost} : {}),
  plugins: [structureTool({structure}), visionTool({defaultApiVersion: apiVersion})],
  schema: {types: schemaTypes},
  document: {actions: resolveDocumentActions},
})
