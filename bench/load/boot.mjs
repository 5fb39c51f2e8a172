// Worker threads do not inherit the tsx loader of the thread that starts them: register it, then import the entry.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
