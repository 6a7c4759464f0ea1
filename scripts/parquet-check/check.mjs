// Reads a results folder's export/*.parquet with hyparquet (a reader
// independent of the Go writer) and checks them against the folder's
// summary.csv: the mean over runs of a metric at the last day, recomputed
// from checkpoints.parquet, equals summary.csv's mean for that cell, and
// summary.parquet holds the same row. Usage: node check.mjs DIR AGENT SPLIT [POINT]
import { parquetReadObjects } from 'hyparquet'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const [dir, agent, split, point = 'default'] = process.argv.slice(2)
const metric = 'success_greedy'
const num = (v) => (typeof v === 'bigint' ? Number(v) : v)
async function read(name) {
  const b = readFileSync(join(dir, 'export', name))
  return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) })
}
function fail(msg) {
  console.error('parquet check: ' + msg)
  process.exit(1)
}

const cps = (await read('checkpoints.parquet')).filter((r) => r.point === point && r.agent === agent && r.split === split)
if (cps.length === 0) fail(`no checkpoint rows for ${agent} ${split}`)
const last = Math.max(...cps.map((r) => num(r.day)))
const vals = cps.filter((r) => num(r.day) === last).map((r) => r[metric])
const mean = vals.reduce((a, b) => a + b, 0) / vals.length

// summary.csv: kind,point,split,day,agent,baseline,metric,n,mean,...
const lines = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n')
const head = lines[0].split(',')
const col = (name) => head.indexOf(name)
const row = lines
  .slice(1)
  .map((l) => l.match(/("[^"]*"|[^,]*)(,|$)/g).map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')))
  .find((c) => c[col('kind')] === 'cell' && c[col('point')] === point && c[col('agent')] === agent && c[col('split')] === split &&
    c[col('metric')] === metric && Number(c[col('day')]) === last)
if (!row) fail(`summary.csv has no cell ${agent} ${split} ${metric} day ${last}`)
const csvMean = Number(row[col('mean')])
if (Math.abs(csvMean - mean) > 1e-6 * Math.max(1, Math.abs(mean))) {
  fail(`mean of ${vals.length} runs from checkpoints.parquet ${mean} != summary.csv ${csvMean}`)
}
const sum = (await read('summary.parquet')).find((r) => r.kind === 'cell' && r.point === point && r.agent === agent &&
  r.split === split && r.metric === metric && num(r.day) === last)
if (!sum || Math.abs(sum.mean - csvMean) > 1e-12) fail(`summary.parquet mean ${sum && sum.mean} != summary.csv ${csvMean}`)
console.log(`parquet check: ${agent} ${split} ${metric} day ${last}: mean of ${vals.length} runs ${mean.toFixed(6)} = summary.csv ${csvMean}`)
