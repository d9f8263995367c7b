import { sdk } from './sdk'
import { uiPort } from './health'

// The web interface (and the HTTP API under it) on port 8080.
export const setInterfaces = sdk.setupInterfaces(async ({ effects }) => {
  const host = sdk.MultiHost.of(effects, 'ui')
  const origin = await host.bindPort(uiPort, {
    protocol: 'http',
    preferredExternalPort: 80,
  })
  const ui = sdk.createInterface(effects, {
    name: 'Web Interface',
    id: 'ui',
    description: "Recap's web interface and HTTP API.",
    type: 'ui',
    masked: false,
    schemeOverride: null,
    username: null,
    path: '',
    query: {},
  })
  return [await origin.export([ui])]
})
