import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { YAML } from '@start9labs/start-sdk'
import * as pkg from '../index'
import { repoRoot } from './helpers'

// What StartOS loads: the ABI's exports, and a manifest that agrees with
// the 0.3.5 one on what both describe.

test('the package exports the StartOS ABI', () => {
  assert.deepEqual(Object.keys(pkg).sort(), ['actions', 'createBackup', 'init', 'main', 'manifest', 'uninit'])
})

test('the 0.4 manifest matches manifest.yaml', () => {
  const old = YAML.parse(readFileSync(join(repoRoot, 'manifest.yaml'), 'utf8'))
  const m = pkg.manifest
  assert.equal(m.id, old.id)
  assert.equal(m.title, old.title)
  assert.equal(m.license, old.license)
  assert.equal(m.description.short, old.description.short)
  assert.deepEqual([...m.volumes], ['main'])
  assert.deepEqual([...(m.images.main.arch ?? [])], old['hardware-requirements'].arch)
  assert.equal(m.version.split(':')[0], old.version, 'both packages run the same Recap version')
})
