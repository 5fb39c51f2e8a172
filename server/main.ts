/**
 * The `npm start` entry point: validate the configuration (one clear line and exit 2 if it is bad), start the
 * server, and on SIGTERM or SIGINT flush every room and exit 0.
 */
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './log.ts'
import { startServer } from './server.ts'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(process.env, process.argv.slice(2))
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`inkwell: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const log = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY && !process.env.LOG_JSON })
  let server
  try {
    server = await startServer(config, log)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why =
      e.code === 'EADDRINUSE'
        ? `port ${config.port} on ${config.host} is already in use: set PORT to a free port`
        : e.code === 'EACCES'
          ? `no permission to listen on ${config.host}:${config.port} or to write ${config.dataDir}`
          : e.message
    process.stderr.write(`inkwell: cannot start: ${why}\n`)
    process.exit(1)
  }
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      log.error({ ms: config.shutdownTimeoutMs }, 'shutdown timed out; exiting')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

void main()
