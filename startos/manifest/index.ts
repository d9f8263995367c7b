import { setupManifest } from '@start9labs/start-sdk'

// Recap's StartOS 0.4 manifest. The image is the one the 0.3.5 package
// uses (startos/Dockerfile, built from the repository root), so both
// packages run the same binary.
export const manifest = setupManifest({
  id: 'recap',
  title: 'Recap',
  license: 'MIT',
  packageRepo: 'https://github.com/recap-startos/recap',
  upstreamRepo: 'https://github.com/recap-startos/recap',
  marketingUrl: 'https://github.com/recap-startos/recap',
  donationUrl: null,
  description: {
    short:
      'Turn long videos, podcasts and transcripts into short, timestamped recaps in your own library.',
    long: 'Recap turns long media into something you can read in two minutes and find again a year later. Give it a YouTube link, a podcast episode, a subtitle file or a pasted transcript: it fetches the transcript, splits it into topics, writes a title, a short summary and timestamped key points for each, and files the result in a private, searchable library on your server. In multi mode it also serves others, who sign in by email. The builtin engine runs entirely on your server and needs no account or API key.',
  },
  volumes: ['main'],
  images: {
    main: {
      source: { dockerBuild: { workdir: '..', dockerfile: 'Dockerfile' } },
      arch: ['x86_64', 'aarch64'],
    },
  },
  dependencies: {},
})
