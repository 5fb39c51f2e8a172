/**
 * Quick mode (the default, for development: the whole run in under 3 minutes on 2 cores) and full mode
 * (`BENCH_FULL=1`, for the README: more repeats, longer windows, the sizes the issue asks for).
 */
export interface Mode {
  name: 'quick' | 'full'
  typing: { repeats: number; clients: number; rate: number; warmupMs: number; measureMs: number }
  fanout: { repeats: number; rooms: number; perRoom: number; rates: number[]; warmupMs: number; measureMs: number }
  idle: { repeats: number; rooms: number; perRoom: number; settleMs: number }
  bigdoc: { repeats: number; floorRepeats: number }
  replay: { repeats: number; batch: number; edits: number }
}

const quick: Mode = {
  name: 'quick',
  typing: { repeats: 2, clients: 20, rate: 5, warmupMs: 1000, measureMs: 2500 },
  fanout: { repeats: 1, rooms: 20, perRoom: 10, rates: [2, 5, 10], warmupMs: 600, measureMs: 1600 },
  idle: { repeats: 1, rooms: 25, perRoom: 20, settleMs: 1000 },
  bigdoc: { repeats: 1, floorRepeats: 5 },
  replay: { repeats: 1, batch: 100, edits: 0 },
}

const full: Mode = {
  name: 'full',
  typing: { repeats: 5, clients: 20, rate: 5, warmupMs: 3000, measureMs: 10_000 },
  fanout: { repeats: 3, rooms: 20, perRoom: 10, rates: [2, 5, 10], warmupMs: 2000, measureMs: 6000 },
  idle: { repeats: 3, rooms: 100, perRoom: 20, settleMs: 2000 },
  bigdoc: { repeats: 5, floorRepeats: 9 },
  replay: { repeats: 3, batch: 100, edits: 0 },
}

export function mode(env: Record<string, string | undefined> = process.env): Mode {
  return env.BENCH_FULL === '1' ? full : quick
}
