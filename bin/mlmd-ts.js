#!/usr/bin/env node
// The `mlmd-ts` command. It runs the compiled CLI in dist/, which `npm install` builds (the
// package's `prepare` script); run `npm run build` after changing src/.
import { existsSync } from 'node:fs'

const main = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write('mlmd-ts: dist/ is missing; run `npm run build` (npm install does it too)\n')
  process.exit(1)
}
const { runCli } = await import(main.href)
await runCli()
