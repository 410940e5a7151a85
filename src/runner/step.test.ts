import { describe, expect, it } from 'vitest'
import { Code } from '../errors.js'
import { defineArtifactType } from './artifact-type.js'
import { codeFingerprintOf, defineStep } from './step.js'

const Data = defineArtifactType({ name: 'Data' })
const invalid = expect.objectContaining({ code: Code.InvalidArgument })

describe('step', () => {
  describe('defineStep', () => {
    it('freezes the definition and fills defaults', () => {
      const step = defineStep({ type: 'tsrunner.test.Noop', run: () => undefined })
      expect(Object.isFrozen(step)).toBe(true)
      expect(step).toMatchObject({ version: '', inputs: {}, outputs: {}, parameters: {}, enableCache: true })
    })

    it.each([
      ['an empty type', { type: '' }],
      ['a key that is no plain name', { type: 't', outputs: { '../up': Data } }],
      ['a TFX-internal parameter name', { type: 't', parameters: { __schema__x__: 1 } }],
      ['a runner-owned parameter name', { type: 't', parameters: { tsrunner_version: 'x' } }],
      ['a parameter that is not a value', { type: 't', parameters: { when: new Date(0) as never } }],
    ])('rejects %s', (_name, definition) => {
      expect(() => defineStep({ ...(definition as { type: string }), run: () => undefined })).toThrow(invalid)
    })
  })

  describe('codeFingerprintOf', () => {
    const run = (): void => undefined
    it('is sha256 over the version and the source of run', () => {
      expect(codeFingerprintOf('1', run)).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(codeFingerprintOf('1', run)).toBe(codeFingerprintOf('1', (): void => undefined))
    })
    it('changes with the version', () => {
      expect(codeFingerprintOf('2', run)).not.toBe(codeFingerprintOf('1', run))
    })
    it('changes with the source of run', () => {
      const edited = (): void => {
        Math.abs(2)
      }
      expect(codeFingerprintOf('1', edited)).not.toBe(codeFingerprintOf('1', run))
    })
    it('is what defineStep records', () => {
      const step = defineStep({ type: 't', version: '3', run })
      expect(step.codeFingerprint).toBe(codeFingerprintOf('3', run))
    })
  })
})
