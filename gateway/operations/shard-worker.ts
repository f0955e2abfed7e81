/**
 * A shard's process (shards.ts): opens the configured Redis ledger and the packs as the gateway does,
 * then answers each task of its parent over IPC with its persons' part of a pass. Reads the books; writes only the day projections' cache.
 */
import { loadConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { loadProgrammes } from '../programmes/load.js';
import { openToolStorage } from '../storage.js';
import { parseCandidatePack } from './candidate.js';
import { projectAhead } from './day-projection.js';
import { openFigureOf, type OpenFigure } from './open-figure.js';
import { localPricingPass, pricingQuery } from './pricing.js';
import { reportPass } from './report.js';
import { shardRequest, shardSource } from './shards.js';
import { whatIfPass } from './whatif.js';

const config = loadConfig();
const ledger = openToolStorage(config)?.ledger;
const programmes = loadProgrammes(config.PROGRAMMES_DIR ?? []);
// A pricing run asks for several passes over the same candidate: its figure is read once.
let figures: { text: string; query: string; figure: OpenFigure } | null = null;

process.on('message', (message: unknown) => {
  const parsed = shardRequest.safeParse(message);
  if (!parsed.success) return;
  const { id, task, shard } = parsed.data;
  const run = async (): Promise<unknown> => {
    if (!ledger) throw new Error('REDIS_URL is not set: a shard reads the ledger in Redis');
    const source = shardSource(ledger, shard);
    if (task.kind === 'report') {
      const pack = programmes.get(task.programme);
      if (!pack) throw new Error(`no programme ${task.programme}`);
      return reportPass({ pack, source, ledger, period: task.period, basis: task.basis, ...(task.today ? { today: task.today } : {}) });
    }
    if (task.kind === 'project') return projectAhead(source, task.period);
    if (task.kind === 'whatif') {
      return whatIfPass({ programmes, candidate: parseCandidatePack(task.candidateText), source, ledger, period: task.period });
    }
    const query = pricingQuery.parse(task.query);
    if (!figures || figures.text !== task.candidateText || figures.query !== JSON.stringify(task.query)) {
      figures = { text: task.candidateText, query: JSON.stringify(task.query), figure: openFigureOf(task.candidateText, query.figure) };
    }
    return localPricingPass({ programmes, candidateText: task.candidateText, figure: figures.figure, source, ledger, period: task.period })(task.steps);
  };
  run().then(
    (result) => process.send?.({ id, ok: true, result }),
    (error: unknown) => process.send?.({
      id, ok: false, message: error instanceof Error ? error.message : String(error),
      errors: error instanceof GatewayError ? error.errors.map((e) => ({ path: e.path, message: e.message })) : [],
    }),
  );
});

process.on('disconnect', () => { void ledger?.close().finally(() => process.exit(0)); });
