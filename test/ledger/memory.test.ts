import { MemoryLedger } from '../../gateway/ledger/memory.js';
import { ledgerSuite } from './suite.js';

ledgerSuite('memory', async (options) => {
  const ledger = new MemoryLedger(options);
  // A "restart" of the embedded ledger keeps the process, hence the books: the same instance.
  return { ledger, restart: async () => ledger };
});
