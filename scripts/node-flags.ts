// The Node flags the server runs with. `npm start` and `npm run dev` pass them (package.json: V8's heap is sized when
// the process starts, so they cannot be set from inside it); the benchmark and the tests that spawn a real server
// pass the same list, and server/test/node-flags.test.ts checks that package.json does.
//
// --max-semi-space-size=8: V8's young generation starts at 8 MiB per semi-space here and, by default, may double to
// 16 MiB. A burst of connections (every client reconnecting after a deploy) makes it double, and it keeps the pages:
// 16 MiB more resident memory for good, 8 KiB per connection at 2,000 idle clients (the bench's idle scenario:
// 19.5 → 10.7 KiB per connection). Capped at 8, fan-out at 18,000 deliveries/s costs the same CPU (A/B with
// `SERVER=inkwell-fsync ROOMS=20 PER=10 RATE=10 npx tsx bench/threads.ts`, two runs each: 31.0/30.2 µs per delivery
// by default, 30.5/29.3 capped).
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8']
