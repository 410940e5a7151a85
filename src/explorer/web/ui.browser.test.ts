/**
 * The explorer in a real browser: Debian's chromium driven by playwright-core. Screenshots go
 * to test-output/explorer/; with UPDATE_DOCS_SCREENSHOTS=1 the two the README shows are also
 * written to docs/.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedStore } from '../../../examples/seed-store.js'
import {
  createMetadataStore,
  type OwnedMetadataStore,
  toAsyncMetadataStore,
} from '../../store/metadata-store.js'
import { getLineage } from '../explorer.js'
import { lineageToSvg } from '../svg.js'
import { fillHostileStore, type HostileIds, PAYLOADS } from './hostile-store.test-support.js'
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
    `Skipping the explorer browser tests: ${CHROMIUM} is missing (bash scripts/install-chromium.sh)`,
  )
}

describe.skipIf(!available)('explorer in chromium', { timeout: 90_000 }, () => {
  let dir: string
  let browser: Browser
  let seeded: OwnedMetadataStore
  let hostile: OwnedMetadataStore
  let hostileIds: HostileIds
  let server: ExplorerServer
  let hostileServer: ExplorerServer

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-browser-'))
    const db = path.join(dir, 'seed.sqlite')
    await seedStore(db, path.join(dir, 'root'))
    seeded = createMetadataStore({ filename: db, readonly: true })
    server = await startExplorerServer({ store: toAsyncMetadataStore(seeded), sourceLabel: 'seed.sqlite' })
    hostile = createMetadataStore({ filename: ':memory:' })
    hostileIds = fillHostileStore(hostile)
    hostileServer = await startExplorerServer({
      store: toAsyncMetadataStore(hostile),
      sourceLabel: 'hostile',
    })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    mkdirSync(OUTPUT, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await hostileServer?.close()
    seeded?.close()
    hostile?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** A page that records script errors and dialogs, so tests can assert there were none. */
  async function newPage(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } })
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`)
      void dialog.dismiss()
    })
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    return { page, problems }
  }

  const shot = async (page: Page, name: string, docsName?: string) => {
    const file = path.join(OUTPUT, `${name}.png`)
    await page.screenshot({ path: file })
    if (docsName !== undefined && process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
      copyFileSync(file, path.join(REPO, 'docs', docsName))
    }
  }

  it('goes pipeline → run → cached step → lineage, and a click on the graph opens a node', async () => {
    const { page, problems } = await newPage()
    await page.goto(server.url)
    await expect(page.getByRole('heading', { level: 1 })).toBeDefined()
    expect(await page.locator('h1').textContent()).toBe('Pipelines')
    await shot(page, '1-pipelines')

    await page.getByRole('link', { name: 'seed-b', exact: true }).click()
    await page.waitForURL(/\/pipelines\/\d+$/)
    expect(await page.locator('h1').textContent()).toBe('Pipeline seed-b')
    const runRow = page.locator('table.runs tbody tr').first()
    expect((await runRow.locator('td').allTextContents()).slice(2, 6)).toEqual(['4', '2', '2', '0'])
    await runRow.locator('a').first().click()

    await page.waitForURL(/\/runs\/\d+$/)
    const totals = await page.locator('dl.totals dd').allTextContents()
    expect(totals.slice(0, 4)).toEqual(['4', '2', '2', '0'])
    expect(totals[5]).toMatch(/^\d+(\.\d+)? m?s$/)
    const ingest = page.locator('tr.step', { hasText: 'ingest' })
    expect(await ingest.locator('.badge').textContent()).toBe('cached')
    expect(await ingest.locator('td').nth(3).textContent()).toMatch(/^execution 1 of run \S+$/)
    await shot(page, '2-run-with-cache-hits', 'explorer-run.png')

    // The reused execution's run is one click away, and back returns here.
    const runUrl = page.url()
    await ingest.getByRole('link', { name: /^\d{4}-/ }).click()
    await page.waitForURL(/\/runs\/2$/)
    expect(await page.locator('tr.step .badge').allTextContents()).toEqual(['ran', 'ran', 'ran', 'ran'])
    await page.goBack()
    expect(page.url()).toBe(runUrl)

    await ingest.getByRole('link', { name: 'lineage' }).click()
    await page.waitForURL(/\/lineage\/execution\/5$/)
    await page.waitForSelector('#lineage-graph[data-rendered]')
    const rendered = await page.locator('#lineage-graph').getAttribute('data-rendered')
    expect(Number(rendered)).toBe(Number(await page.locator('#lineage-graph').getAttribute('data-nodes')))
    expect(Number(rendered)).toBeGreaterThanOrEqual(7)
    // Layered left to right: the cached ingest step is left of the artifact it output.
    // Page-side code as text: this file is compiled without the DOM library.
    const positions = (await page.evaluate(`(() => {
      const cy = window.lineageGraph
      const box = document.getElementById('lineage-graph').getBoundingClientRect()
      const at = (id) => {
        const p = cy.$id(id).renderedPosition()
        return { x: box.left + p.x, y: box.top + p.y }
      }
      return { e5: at('e5'), a1: at('a1'), e1: at('e1') }
    })()`)) as Record<'e5' | 'a1' | 'e1', { x: number; y: number }>
    expect(positions.e5.x).toBeLessThan(positions.a1.x)
    await shot(page, '3-lineage')

    await page.mouse.click(positions.e1.x, positions.e1.y)
    await page.waitForURL(/\/executions\/1$/)
    expect(await page.locator('h1').textContent()).toMatch(/^execution 1 /)
    await page.goBack()
    await page.waitForURL(/\/lineage\/execution\/5$/)

    // Further out: both pipelines' trainers and evaluators come into view.
    await page.locator('input[name=hops]').fill('6')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/\/lineage\/execution\/5\?hops=6&direction=both$/)
    await page.waitForSelector('#lineage-graph[data-rendered]')
    expect(Number(await page.locator('#lineage-graph').getAttribute('data-rendered'))).toBeGreaterThan(
      Number(rendered),
    )
    await shot(page, '4-lineage-6-hops', 'explorer-lineage.png')
    expect(problems).toEqual([])
    await page.close()
  })

  it('filters a node list in the browser and shows an invalid filter_query inline', async () => {
    const { page, problems } = await newPage()
    await page.goto(new URL('/artifacts', server.url).href)
    await page.locator('input[name=filter]').fill("type = 'Model'")
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForURL(/filter=/)
    expect(await page.locator('table.nodes tbody tr td:nth-child(2)').allTextContents()).toEqual([
      'Model',
      'Model',
    ])
    await page.locator('input[name=filter]').fill('type = = 1')
    await page.getByRole('button', { name: 'Apply' }).click()
    await page.waitForSelector('p.error')
    expect(await page.locator('p.error').textContent()).toContain('Invalid `filter_query`')
    expect(await page.locator('input[name=filter]').inputValue()).toBe('type = = 1')
    await shot(page, '5-filter-error')
    // Only the page load's 400 is logged; no script failed.
    expect(problems.filter((p) => !p.includes('400'))).toEqual([])
    await page.close()
  })

  it('renders hostile names, URIs and properties as text, running none of them', async () => {
    const { page, problems } = await newPage()
    const { artifactId, executionId, pipelineId, runId } = hostileIds
    const pages = [
      '/pipelines',
      `/pipelines/${pipelineId}`,
      `/runs/${runId}`,
      '/artifacts',
      '/executions',
      '/contexts',
      '/types',
      `/artifacts/${artifactId}`,
      `/executions/${executionId}`,
      `/contexts/${pipelineId}`,
      `/lineage/artifact/${artifactId}`,
    ]
    const shown = new Set<string>()
    for (const p of pages) {
      await page.goto(new URL(p, hostileServer.url).href)
      const text = ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ')
      for (const payload of Object.values(PAYLOADS))
        if (text.includes(payload.replace(/\s+/g, ' '))) shown.add(payload)
      expect(await page.evaluate('window.__pwned'), p).toBeUndefined()
      expect(await page.locator('main img, main iframe, main svg').count(), p).toBe(0)
    }
    await page.goto(new URL(`/lineage/artifact/${artifactId}`, hostileServer.url).href)
    await page.waitForSelector('#lineage-graph[data-rendered]')
    await shot(page, '6-hostile-lineage')
    expect([...shown].sort()).toEqual(Object.values(PAYLOADS).sort())
    expect(problems).toEqual([])
    await page.close()
  })

  it('shows a hostile lineage SVG from the terminal command as a picture, running nothing', async () => {
    const { page, problems } = await newPage()
    const view = await getLineage(toAsyncMetadataStore(hostile), 'artifact', hostileIds.artifactId)
    const file = path.join(dir, 'hostile.svg')
    writeFileSync(file, lineageToSvg(view))
    await page.goto(`file://${file}`)
    expect(await page.locator('g.node').count()).toBe(2)
    expect(await page.locator('text').allTextContents()).toContain(PAYLOADS.artifactName)
    expect(await page.evaluate('window.__pwned')).toBeUndefined()
    expect(problems).toEqual([])
    await page.close()
  })

  it('is refused a write from the browser, and its scripts may not even send one', async () => {
    const { page, problems } = await newPage()
    await page.goto(server.url)
    // The CSP (default-src 'none', no connect-src) stops scripts from calling the server.
    expect(
      await page.evaluate(
        `fetch('/artifacts', { method: 'POST', body: '{}' }).then(() => 'sent', () => 'blocked')`,
      ),
    ).toBe('blocked')
    // A form post (allowed by form-action 'self') reaches the server, which refuses it.
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.evaluate(`(() => {
        const form = document.createElement('form')
        form.method = 'post'
        form.action = '/artifacts'
        document.body.append(form)
        form.submit()
      })()`),
    ])
    expect(response.status()).toBe(405)
    expect(problems.some((p) => p.includes('Content Security Policy'))).toBe(true)
    await page.close()
  })
})
