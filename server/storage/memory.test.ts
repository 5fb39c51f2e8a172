import { MemoryStore } from './memory.ts'
import { storageContract } from './contract.ts'

storageContract('memory', { open: async () => new MemoryStore() })
