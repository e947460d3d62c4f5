import {defineCliConfig} from 'sanity/cli'

import {defaultDataset, localProjectId} from './lib/constants'

export default defineCliConfig({
  api: {
    projectId:
      process.env.SANITY_STUDIO_PROJECT_ID || process.env.SANITY_PROJECT_ID || localProjectId,
    dataset: process.env.SANITY_STUDIO_DATASET || process.env.SANITY_DATASET || defaultDataset,
  },
  typegen: {
    path: './queries/**/*.ts',
    schema: './schema.json',
    generates: './sanity.types.ts',
    overloadClientMethods: true,
  },
  deployment: {autoUpdates: false},
})
