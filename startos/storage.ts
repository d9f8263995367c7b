import { PathBase } from '@start9labs/start-sdk/lib/util/Volume'

// Where the package reads and writes Recap's files. In a running package
// the main volume is mounted at /media/startos/volumes/main; the tests
// point it at a temporary folder (the system boundary they stand in for).
export const storage: { main: PathBase; root: string } = {
  root: '/media/startos/volumes/main',
  main: {
    subpath(p: string) {
      return `${storage.root}/${p.replace(/^\/+/, '')}`
    },
  },
}
