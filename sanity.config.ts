import {visionTool} from '@sanity/vision'
import {defineConfig} from 'sanity'
import {structureTool} from 'sanity/structure'

import {apiVersion, defaultDataset, localProjectId} from './lib/constants'
import {schemaTypes} from './schemas'
import {resolveDocumentActions, withoutCommentTemplates} from './studio/actions'
import {structure} from './studio/structure'

// Build-time settings (Sanity inlines SANITY_STUDIO_* variables into the bundle).
// Without a project id the Studio talks to the embedded local lake.
const projectId = process.env.SANITY_STUDIO_PROJECT_ID || localProjectId
const dataset = process.env.SANITY_STUDIO_DATASET || defaultDataset
const apiHost = process.env.SANITY_STUDIO_API_HOST || localServerApiHost()

/**
 * The local server (server/) serves this Studio at https://<projectId>.localhost:<port>,
 * the lake's own project host, so the API host follows the page: one build works on any port.
 */
function localServerApiHost(): string | undefined {
  if (projectId !== localProjectId || typeof window === 'undefined') return undefined
  const {protocol, hostname, port} = window.location
  if (hostname !== `${projectId}.localhost`) return undefined
  return `${protocol}//localhost${port ? `:${port}` : ''}`
}

/**
 * The local lake has no hosted add-on datasets, so field comments and Tasks (which store their
 * documents there) and the legacy Scheduled Publishing plugin (a hosted scheduling service)
 * cannot work against it: they are off while the backend is the local lake, and keep Sanity's
 * defaults for a hosted project. Content Releases, their scheduling and document history are
 * served by the local server (see README: "History, releases and settings offline").
 */
const hostedOnlyFeatures =
  projectId === localProjectId
    ? {tasks: {enabled: false}, scheduledPublishing: {enabled: false}, scheduledDrafts: {enabled: false}}
    : {}

export default defineConfig({
  name: 'default',
  title: 'Film reviews',
  projectId,
  dataset,
  ...(apiHost ? {apiHost} : {}),
  // The local server offers one login, "this computer": go straight to it.
  ...(projectId === localProjectId ? {auth: {redirectOnSingle: true}} : {}),
  plugins: [structureTool({structure}), visionTool({defaultApiVersion: apiVersion})],
  schema: {types: schemaTypes, templates: withoutCommentTemplates},
  document: {actions: resolveDocumentActions, ...(projectId === localProjectId ? {comments: {enabled: false}} : {})},
  ...hostedOnlyFeatures,
})
