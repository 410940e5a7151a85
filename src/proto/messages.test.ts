import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generateMessagesSource } from '../../scripts/gen-proto-types.js'

describe('messages.ts', () => {
  it('is exactly what npm run gen:types generates from protos/', () => {
    const committed = readFileSync(new URL('./messages.ts', import.meta.url), 'utf8')
    expect(committed).toBe(generateMessagesSource())
  })
})
