/**
 * What a scenario is to the runner: columns to print, and one measurement against one server that returns rows
 * (one per case, e.g. per rate). The runner repeats it, interleaving the servers, and reports medians and ratios.
 */
import type { Mode } from '../config.ts'
import type { Agent } from '../load/handle.ts'
import type { ServerSpec } from '../servers/index.ts'

export interface Column {
  key: string
  label: string
  digits: number
  /** Which way is better, for readers of the ratio (a ratio is always value ÷ floor). */
  better: 'lower' | 'higher'
  /** false: no ratio is meaningful (the floor has no such figure, or the figure is itself a ratio). */
  ratio?: boolean
}

export interface Row {
  server: string
  /** The case within the scenario (e.g. "10/s"), or "" when the scenario has one. */
  case: string
  /** null: not applicable to this server. */
  values: Record<string, number | null>
}

export interface Context {
  agent: Agent
  mode: Mode
  tracePath: string
  /** Where data directories and caches go (bench/results/tmp, ignored by git). */
  tmpDir: string
}

export interface Scenario {
  id: string
  title: string
  /** One line under the title: the load, and anything the mode scaled down. */
  describe(mode: Mode): string
  columns: Column[]
  /** The server (or in-process figure) every ratio is taken against. */
  floor: string
  repeats(mode: Mode): number
  /** Once before the repeats. */
  prepare?(ctx: Context): Promise<void>
  /** Rows of a floor that is not a server, once per repeat, before the servers. */
  floorRows?(ctx: Context): Promise<Row[]>
  /** Why `spec` cannot run this scenario, or null. */
  skip?(spec: ServerSpec): string | null
  runOnce(ctx: Context, spec: ServerSpec): Promise<Row[]>
  /** Lines printed under the table. */
  notes?(rows: Row[]): string[]
}
