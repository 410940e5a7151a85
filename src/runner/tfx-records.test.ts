import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Code, MlmdError } from '../errors.js'
import {
  executionResultJson,
  localRunId,
  nodeContextName,
  RUNNER_VERSION,
  TFX_VERSION,
} from './tfx-records.js'

describe('tfx-records', () => {
  describe('versions', () => {
    it('RUNNER_VERSION is the package version', () => {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string
      }
      expect(RUNNER_VERSION).toBe(pkg.version)
    })
    it('TFX_VERSION is a release at or after 0.29, which Python readers need for current layouts', () => {
      const [major = 0, minor = 0] = TFX_VERSION.split('.').map(Number)
      expect(TFX_VERSION).toMatch(/^\d+\.\d+\.\d+$/)
      expect(major > 0 || minor >= 29).toBe(true)
    })
  })

  describe('localRunId', () => {
    it("writes LocalDagRunner's local ISO time with microseconds", () => {
      expect(localRunId(new Date(2024, 4, 1, 12, 34, 56, 123))).toBe('2024-05-01T12:34:56.123000')
      expect(localRunId(new Date(2024, 11, 31, 0, 0, 0, 0))).toBe('2024-12-31T00:00:00.000000')
    })
  })

  describe('nodeContextName', () => {
    it('is <pipeline>.<node>', () => {
      expect(nodeContextName('seed-a', 'train')).toBe('seed-a.train')
    })
  })

  describe('executionResultJson', () => {
    it('writes MessageToJson of ExecutionResult: resultMessage then code, two-space indent', () => {
      const text = executionResultJson(new MlmdError(Code.NotFound, 'no such file'))
      expect(text).toMatch(/^\{\n {2}"resultMessage": "MlmdError: \[not_found\] no such file\\n/)
      expect(text).toMatch(/,\n {2}"code": 5\n\}$/)
    })
    it('uses UNKNOWN for other errors and non-errors', () => {
      expect(JSON.parse(executionResultJson(new TypeError('bad')))).toMatchObject({ code: Code.Unknown })
      expect(JSON.parse(executionResultJson('text'))).toEqual({ resultMessage: 'text', code: Code.Unknown })
    })
  })
})
