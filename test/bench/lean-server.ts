/**
 * The lean reference of the HTTP benchmark (issue 15): what the project's own parts cost with nothing
 * of the gateway around them — express 5 parsing the body, the project's zod request schema, the pure
 * engine, and one Redis EVAL writing the split (~2 KB) under the settlement's key. No auth, idempotency,
 * accumulators, outbox, logging or metrics: the floor the gateway is measured against, not a gateway.
 */
import express from 'express';
import { Redis } from 'ioredis';
import { settle } from '../../gateway/engine/settle.js';
import { toSplit } from '../../gateway/engine/split.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { settlementRequest } from '../../schemas/settlement.js';

const programmes = loadProgrammes();
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const WRITE = "return redis.call('SET', KEYS[1], ARGV[1])";

const app = express();
app.use(express.json({ limit: 2 * 1024 * 1024 }));
app.post('/lean', async (req, res) => {
  const request = settlementRequest.parse(req.body);
  const engine = settle({ request, programmes, rosters: {}, accumulators: {} });
  const split = toSplit(engine, { gatewayId: 'stl_lean', settlementId: request.settlementId, hospitalId: request.hospital.id, personId: request.patient.id, status: 'settled', settledAt: '2024-03-10T09:12:00+08:00' });
  const splitJson = JSON.stringify(split);
  await redis.eval(WRITE, 1, `lean:${request.hospital.id}:${request.settlementId}`, splitJson);
  res.status(201).type('application/json').send(splitJson);
});
app.get('/', (_req, res) => { res.send('ok'); });
app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
// A normal exit on SIGTERM, so `node --cpu-prof` writes its profile (profile-http.ts, PROFILE_SERVER=lean).
process.once('SIGTERM', () => process.exit(0));
