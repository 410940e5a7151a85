/**
 * The steps and pipelines of the seed scenario: a synthetic regression data set is generated,
 * split and standardised, a model is trained on it and evaluated.
 *
 * Pipeline A: ingest → preprocess → train (least squares) → evaluate.
 * Pipeline B: A's copy with another trainer (gradient descent). It shares A's cache scope, so
 * ingest and preprocess are reused from A's run; train and evaluate run.
 *
 * Payloads follow TFX's layouts where TFX has one (`Split-<name>/` directories in Examples,
 * `split_names` as a JSON list), so the artifacts are what Python readers expect.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createPipeline, defineArtifactType, defineStep, node, type Pipeline } from '../src/runner/index.js'

/** TFX's standard artifact types used here (names, properties and base types as in TFX). */
export const Examples = defineArtifactType({
  name: 'Examples',
  properties: { span: 'INT', version: 'INT', split_names: 'STRING' },
  baseType: 'DATASET',
})
export const TransformGraph = defineArtifactType({ name: 'TransformGraph' })
export const Model = defineArtifactType({ name: 'Model', baseType: 'MODEL' })
export const ModelEvaluation = defineArtifactType({ name: 'ModelEvaluation' })

const SPLITS = ['train', 'eval'] as const

/** A small deterministic PRNG (mulberry32), so the data set is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal sample (Box–Muller). */
function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
}

interface Table {
  readonly columns: readonly string[]
  readonly rows: number[][]
}

function toCsv(table: Table): string {
  return `${table.columns.join(',')}\n${table.rows.map((r) => r.join(',')).join('\n')}\n`
}

async function readCsv(file: string): Promise<Table> {
  const [header = '', ...lines] = (await readFile(file, 'utf8')).trimEnd().split('\n')
  return { columns: header.split(','), rows: lines.map((line) => line.split(',').map(Number)) }
}

const splitFile = (uri: string, split: string): string => path.join(uri, `Split-${split}`, 'data.csv')

async function writeSplits(uri: string, tables: Readonly<Record<string, Table>>): Promise<void> {
  for (const [split, table] of Object.entries(tables)) {
    await mkdir(path.join(uri, `Split-${split}`), { recursive: true })
    await writeFile(splitFile(uri, split), toCsv(table))
  }
}

/** Generates y = w·x + b + noise with fixed weights, and splits it 80/20 by row. */
export const ingest = defineStep({
  type: 'tsrunner.examples.SyntheticRegressionGen',
  version: '1',
  outputs: { examples: Examples },
  parameters: { rows: 100_000, features: 4, noise: 0.5, seed: 42 },
  async run({ outputs, parameters, log }) {
    const next = random(parameters.seed)
    const weights = Array.from({ length: parameters.features }, (_, i) => (i % 2 === 0 ? 1 : -1) * (i + 1.5))
    const columns = [...weights.map((_, i) => `x${i}`), 'y']
    const tables: Record<string, Table> = { train: { columns, rows: [] }, eval: { columns, rows: [] } }
    for (let r = 0; r < parameters.rows; r++) {
      const x = weights.map((_, i) => gaussian(next) * (i + 1) + i)
      const y =
        x.reduce((sum, xi, i) => sum + xi * (weights[i] as number), 4) + parameters.noise * gaussian(next)
      tables[r % 5 === 4 ? 'eval' : 'train']?.rows.push([
        ...x.map((v) => Number(v.toFixed(6))),
        Number(y.toFixed(6)),
      ])
    }
    await writeSplits(outputs.examples.dir, tables)
    outputs.examples.properties.span = 0
    outputs.examples.properties.version = 1
    outputs.examples.properties.split_names = JSON.stringify(SPLITS).replaceAll(',', ', ')
    log(`generated ${parameters.rows} rows with ${parameters.features} features`)
  },
})

/** Standardises every feature with the train split's mean and deviation. */
export const preprocess = defineStep({
  type: 'tsrunner.examples.Standardize',
  baseType: 'TRANSFORM',
  version: '1',
  inputs: { examples: Examples },
  outputs: { transformed_examples: Examples, transform_graph: TransformGraph },
  async run({ inputs, outputs, log }) {
    const train = await readCsv(splitFile(inputs.examples.dir, 'train'))
    const featureCount = train.columns.length - 1
    const mean = Array.from({ length: featureCount }, (_, j) => {
      return train.rows.reduce((sum, row) => sum + (row[j] as number), 0) / train.rows.length
    })
    const deviation = mean.map((m, j) => {
      const variance =
        train.rows.reduce((sum, row) => sum + ((row[j] as number) - m) ** 2, 0) / train.rows.length
      return Math.sqrt(variance) || 1
    })
    const transform = (row: number[]): number[] =>
      row.map((v, j) =>
        j < featureCount ? Number(((v - (mean[j] as number)) / (deviation[j] as number)).toFixed(6)) : v,
      )
    const tables: Record<string, Table> = {}
    for (const split of SPLITS) {
      const table = split === 'train' ? train : await readCsv(splitFile(inputs.examples.dir, split))
      tables[split] = { columns: table.columns, rows: table.rows.map(transform) }
    }
    await writeSplits(outputs.transformed_examples.dir, tables)
    await writeFile(
      path.join(outputs.transform_graph.dir, 'transform.json'),
      JSON.stringify({ mean, deviation }),
    )
    Object.assign(outputs.transformed_examples.properties, inputs.examples.properties)
    log(`standardised ${featureCount} features`)
  },
})

interface LinearModel {
  readonly trainer: string
  readonly weights: readonly number[]
  readonly bias: number
}

function features(table: Table): { x: number[][]; y: number[] } {
  return { x: table.rows.map((row) => row.slice(0, -1)), y: table.rows.map((row) => row.at(-1) as number) }
}

/** Solves a·w = b by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length
  const m = a.map((row, i) => [...row, b[i] as number])
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++)
      if (Math.abs(m[r]?.[col] ?? 0) > Math.abs(m[pivot]?.[col] ?? 0)) pivot = r
    ;[m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]]
    const top = m[col] as number[]
    for (let r = col + 1; r < n; r++) {
      const row = m[r] as number[]
      const factor = (row[col] as number) / (top[col] as number)
      for (let c = col; c <= n; c++) row[c] = (row[c] as number) - factor * (top[c] as number)
    }
  }
  const w = new Array<number>(n).fill(0)
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r] as number[]
    let sum = row[n] as number
    for (let c = r + 1; c < n; c++) sum -= (row[c] as number) * (w[c] as number)
    w[r] = sum / (row[r] as number)
  }
  return w
}

/** Ordinary least squares (optionally ridge) through the normal equations. */
export const leastSquaresTrainer = defineStep({
  type: 'tsrunner.examples.LeastSquaresTrainer',
  baseType: 'TRAIN',
  version: '1',
  inputs: { examples: Examples },
  outputs: { model: Model },
  parameters: { l2: 0 },
  async run({ inputs, outputs, parameters, log }) {
    const { x, y } = features(await readCsv(splitFile(inputs.examples.dir, 'train')))
    const width = (x[0]?.length ?? 0) + 1 // the bias is the last weight
    const xtx = Array.from({ length: width }, () => new Array<number>(width).fill(0))
    const xty = new Array<number>(width).fill(0)
    x.forEach((row, i) => {
      const augmented = [...row, 1]
      for (let a = 0; a < width; a++) {
        xty[a] = (xty[a] as number) + (augmented[a] as number) * (y[i] as number)
        const line = xtx[a] as number[]
        for (let b = 0; b < width; b++)
          line[b] = (line[b] as number) + (augmented[a] as number) * (augmented[b] as number)
      }
    })
    for (let a = 0; a < width - 1; a++)
      (xtx[a] as number[])[a] = ((xtx[a] as number[])[a] as number) + parameters.l2
    const solution = solve(xtx, xty)
    const model: LinearModel = {
      trainer: 'least-squares',
      weights: solution.slice(0, -1),
      bias: solution.at(-1) as number,
    }
    await writeFile(path.join(outputs.model.dir, 'model.json'), JSON.stringify(model, null, 2))
    outputs.model.customProperties.trainer = model.trainer
    log(`solved the normal equations for ${width} weights over ${x.length} rows`)
  },
})

/** Full-batch gradient descent on the mean squared error. */
export const gradientDescentTrainer = defineStep({
  type: 'tsrunner.examples.GradientDescentTrainer',
  baseType: 'TRAIN',
  version: '1',
  inputs: { examples: Examples },
  outputs: { model: Model },
  parameters: { epochs: 100, learning_rate: 0.5 },
  async run({ inputs, outputs, parameters, log }) {
    const { x, y } = features(await readCsv(splitFile(inputs.examples.dir, 'train')))
    const width = x[0]?.length ?? 0
    const weights = new Array<number>(width).fill(0)
    let bias = 0
    for (let epoch = 1; epoch <= parameters.epochs; epoch++) {
      const gradient = new Array<number>(width).fill(0)
      let biasGradient = 0
      x.forEach((row, i) => {
        const error = row.reduce((sum, v, j) => sum + v * (weights[j] as number), bias) - (y[i] as number)
        for (let j = 0; j < width; j++) gradient[j] = (gradient[j] as number) + error * (row[j] as number)
        biasGradient += error
      })
      for (let j = 0; j < width; j++) {
        weights[j] = (weights[j] as number) - (parameters.learning_rate * (gradient[j] as number)) / x.length
      }
      bias -= (parameters.learning_rate * biasGradient) / x.length
      if (epoch % 25 === 0) log(`epoch ${epoch}/${parameters.epochs}`)
    }
    const model: LinearModel = { trainer: 'gradient-descent', weights, bias }
    await writeFile(path.join(outputs.model.dir, 'model.json'), JSON.stringify(model, null, 2))
    outputs.model.customProperties.trainer = model.trainer
  },
})

/** RMSE and R² of the model on the eval split. */
export const evaluate = defineStep({
  type: 'tsrunner.examples.RegressionEvaluator',
  baseType: 'EVALUATE',
  version: '1',
  inputs: { examples: Examples, model: Model },
  outputs: { evaluation: ModelEvaluation },
  async run({ inputs, outputs }) {
    const model = JSON.parse(await readFile(path.join(inputs.model.dir, 'model.json'), 'utf8')) as LinearModel
    const { x, y } = features(await readCsv(splitFile(inputs.examples.dir, 'eval')))
    const predictions = x.map((row) =>
      row.reduce((sum, v, j) => sum + v * (model.weights[j] as number), model.bias),
    )
    const mean = y.reduce((a, b) => a + b, 0) / y.length
    const squaredError = predictions.reduce((sum, p, i) => sum + (p - (y[i] as number)) ** 2, 0)
    const variance = y.reduce((sum, v) => sum + (v - mean) ** 2, 0)
    const metrics = {
      rmse: Math.sqrt(squaredError / y.length),
      r2: 1 - squaredError / variance,
      rows: y.length,
    }
    await writeFile(path.join(outputs.evaluation.dir, 'metrics.json'), JSON.stringify(metrics, null, 2))
    outputs.evaluation.customProperties.rmse = metrics.rmse
    outputs.evaluation.customProperties.r2 = metrics.r2
  },
})

/** Pipeline A and its copy B with the gradient-descent trainer; `rows` sizes the data set. */
export function seedPipelines(rows = 100_000): { readonly a: Pipeline; readonly b: Pipeline } {
  const ingestNode = node('ingest', ingest, { parameters: { rows } })
  const preprocessNode = node('preprocess', preprocess, { inputs: { examples: ingestNode.outputs.examples } })
  const examples = preprocessNode.outputs.transformed_examples
  const trainNode = node('train', leastSquaresTrainer, { inputs: { examples } })
  const evaluateNode = node('evaluate', evaluate, { inputs: { examples, model: trainNode.outputs.model } })
  const a = createPipeline('seed-a', [ingestNode, preprocessNode, trainNode, evaluateNode])
  const b = a.copy('seed-b').replace(node('train', gradientDescentTrainer, { inputs: { examples } }))
  return { a, b }
}
