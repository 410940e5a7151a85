/**
 * "Why a cache miss" in a real browser (Debian's chromium, playwright-core): a pipeline runs,
 * one parameter changes, it runs again, and the step's page names the changed parameter and
 * links to the execution it was compared with. The screenshot goes to test-output/explorer/;
 * with UPDATE_DOCS_SCREENSHOTS=1 also to docs/, for the README.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedPipelines } from '../../../examples/seed-steps.js'
import { type PipelineRunResult, runPipeline } from '../../runner/pipeline-runner.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../../store/metadata-store.js'
import { type ExplorerServer, startExplorerServer } from './server.js'

const CHROMIUM = '/usr/bin/chromium'
const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const OUTPUT = path.join(REPO, 'test-output', 'explorer')
const available = existsSync(CHROMIUM)

if (!available && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing: CI must run scripts/install-chromium.sh before the tests`)
}
if (!available) {
  console.warn(
    `Skipping the cache-miss browser test: ${CHROMIUM} is missing (bash scripts/install-chromium.sh)`,
  )
}

describe.skipIf(!available)('why a cache miss, in chromium', { timeout: 90_000 }, () => {
  let dir: string
  let owned: OwnedMetadataStore
  let server: ExplorerServer
  let browser: Browser
  let first: PipelineRunResult
  let second: PipelineRunResult

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-cache-miss-'))
    owned = createMetadataStore({ filename: path.join(dir, 'mlmd.sqlite') })
    const store = toAsyncMetadataStore(owned)
    const options = { store, pipelineRoot: path.join(dir, 'root'), progress: false as const }
    // The same pipeline twice, the second time with ingest's `rows` parameter changed.
    first = await runPipeline(seedPipelines(200).a, options)
    second = await runPipeline(seedPipelines(300).a, options)
    expect([first.status, second.status]).toEqual(['COMPLETE', 'COMPLETE'])
    server = await startExplorerServer({ store, sourceLabel: 'cache-miss.sqlite' })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    mkdirSync(OUTPUT, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    owned?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const executionOf = (result: PipelineRunResult, nodeId: string): bigint =>
    result.nodes.find((n) => n.nodeId === nodeId)?.executionId as bigint

  it('goes run → step and names the changed parameter, linking to the earlier execution', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(new URL('/pipelines', server.url).href)
    await page.getByRole('link', { name: 'seed-a', exact: true }).click()
    await page.waitForURL(/\/pipelines\/\d+$/)
    // Newest run first: the second one, where every step ran again.
    await page.locator('table.runs tbody tr').first().locator('a').first().click()
    await page.waitForURL(/\/runs\/\d+$/)
    await page.locator('tr.step', { hasText: 'ingest' }).getByRole('link', { name: 'why it ran' }).click()

    const ingestAgain = executionOf(second, 'ingest')
    await page.waitForURL(new RegExp(`/executions/${ingestAgain}#why-it-ran$`))
    const section = page.getByRole('region', { name: 'Why it ran (cache miss)' })
    const earlier = executionOf(first, 'ingest')
    expect(await section.locator('p.summary').textContent()).toBe(
      `ingest: differs from execution ${earlier} (seed-a.ingest) in parameter rows`,
    )
    expect(await section.locator('table.differences tbody tr td').allTextContents()).toEqual([
      'parameter rows',
      '200',
      '300',
    ])
    // The link scrolled to the section; the picture shows the step's header with it.
    await page.evaluate('window.scrollTo(0, 0)')
    const picture = path.join(OUTPUT, '7-why-a-cache-miss.png')
    await page.screenshot({ path: picture })
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
      copyFileSync(picture, path.join(REPO, 'docs', 'explorer-cache-miss.png'))
    }

    // Downstream, the new upstream artifact is what changed.
    await page.goto(new URL(`/executions/${executionOf(second, 'preprocess')}`, server.url).href)
    expect(await section.locator('td.ingredient').allTextContents()).toEqual(['input examples'])

    await page.goBack()
    await section.getByRole('link', { name: `execution ${earlier}` }).click()
    await page.waitForURL(new RegExp(`/executions/${earlier}$`))
    // The first run has nothing earlier to compare with.
    expect(await section.locator('p.summary').textContent()).toBe(
      'ingest: first run of node ingest: no earlier successful execution to compare with',
    )
    expect(problems).toEqual([])
    await page.close()
  })
})
