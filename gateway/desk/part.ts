/**
 * The billing desk (出院结算窗口): its page and files under /desk, and the /v1 reads it needs beyond
 * the settlement endpoints — the hospitals a client acts for, the day's list with totals per payer,
 * a person's settlements and year-to-date standing, and the printable slip. The page itself talks
 * only to /v1 with the clerk's token, like any HIS would.
 */
import * as z from 'zod';
import { dayList, dayListQuery, hospitalsAnswer, personQuery, personSettlements, settlementNumberAnswer, settlementNumberQuery, standing, type HospitalInfo, type SettlementNumberAnswer } from '../../schemas/desk.js';
import { isoDate } from '../../schemas/primitives.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import type { LedgerPort } from '../ledger/port.js';
import type { SettlementService } from '../service/settlements.js';
import { bindRoutes, routeOf } from '../http/route-table.js';
import { plainProblems } from '../http/openapi.js';
import type { GatewayPart, PartDefinition, PartDeps } from '../parts.js';
import { chinaTime } from '../service/ids.js';
import { DeskAssets, FONT_STYLESHEET } from './assets.js';
import { loadHospitals } from '../hospitals.js';
import { SettlementNumbers } from './numbers.js';
import { renderSlip } from './slip/render.js';
import { standingOf } from './standing.js';
import { DayListBuilder, MAX_LISTED, summarise } from './summaries.js';

const NUMBER_PRUNE_EVERY_MS = 3_600_000;

interface DeskDeps {
  ledger: LedgerPort;
  service: SettlementService;
  programmes: ProgrammeSet;
  hospitals: readonly HospitalInfo[];
  hospitalById: ReadonlyMap<string, HospitalInfo>;
  numbers: SettlementNumbers;
  assets: DeskAssets;
}

const route = routeOf<DeskDeps>();
const readers = ['desk', 'admin', 'auditor'] as const;
const json = (ref: string) => ({ 'application/json': { ref } });
const settlementPath = z.object({ hospitalId: z.string(), settlementId: z.string() });

/** The desk's reads under /v1. */
const deskRoutes = [
  route({
    method: 'get', path: '/hospitals', summary: 'The hospitals this client may act for, named from HOSPITALS_FILE (the desk fills its form from them)',
    access: { roles: readers },
    answers: { 200: { description: 'Hospitals', content: json('Hospitals') } }, problems: {},
    handler: ({ hospitals, hospitalById }) => ({ client, res }) => {
      const ids = client?.hospitalIds === '*' ? hospitals.map((h) => h.id) : client?.hospitalIds ?? [];
      res.json({ hospitals: ids.map((id) => hospitalById.get(id) ?? { id }) });
    },
  }),
  // A POST: each call gives out a new number (a window's 下一位), never one another window was given.
  route({
    method: 'post', path: '/hospitals/:hospitalId/settlement-numbers',
    summary: 'A new settlement number for one desk window (下一位): ZY + the time to the second (+08:00), -2, -3… for further windows in that second; claimed beside the ledger, so no other window of the hospital is ever given it',
    access: { roles: ['desk'], hospital: { params: 'hospitalId' } },
    params: settlementNumberQuery,
    answers: { 201: { description: 'The number', content: json('SettlementNumber') } }, problems: { 503: 'More than 99 numbers asked in one second' },
    handler: ({ numbers }) => async ({ params, client, res }) => {
      const answer: SettlementNumberAnswer = { settlementId: await numbers.issue(params.hospitalId, new Date(), client?.name ?? '') };
      res.status(201).json(answer);
    },
  }),
  route({
    method: 'get', path: '/settlements',
    summary: "The day's settlements of a hospital (settled that day, +08:00), with totals per payer of those still in force (the desk's 今日结算)",
    access: { roles: readers, hospital: { query: 'hospitalId' } },
    query: dayListQuery.extend({ date: isoDate.optional().meta({ description: 'default: today (+08:00)' }) }),
    answers: { 200: { description: "The day's list", content: json('DayList') } }, problems: {},
    handler: ({ ledger }) => async ({ query, res }) => {
      const date = query.date ?? chinaTime(new Date()).slice(0, 10);
      const day = new DayListBuilder(query.hospitalId, date);
      for await (const record of ledger.listSettlements({ from: date, to: nextDay(date), hospitalId: query.hospitalId })) day.add(summarise(record));
      res.json(day.result());
    },
  }),
  // Person look-ups are POSTs with the ID in the body: an ID number never appears in a URL.
  route({
    method: 'post', path: '/persons/settlements',
    summary: "A person's settlements (reversed ones too), in settledAt order; a desk sees its own hospitals' only; the patient masked. POST: the ID number never goes in a URL",
    access: { roles: readers },
    body: { read: 'json', content: json('PersonQuery'), schema: personQuery, invalid: '查询本人的请求无效' },
    answers: { 200: { description: 'Settlements', content: json('PersonSettlements') } }, problems: {},
    handler: ({ ledger }) => async ({ body, client, res }) => {
      const records = await ledger.settlementsOfPerson(body.personId);
      // A desk sees its own hospitals' settlements of the person; auditors and all-hospital clients see all.
      const visible = records.filter((r) => client?.hospitalIds === '*' || client?.roles.includes('auditor') || client?.hospitalIds.includes(r.hospitalId));
      res.json({ settlements: visible.slice(-MAX_LISTED).map(summarise) });
    },
  }),
  route({
    method: 'post', path: '/persons/standing',
    summary: "A person's year-to-date standing per programme: paid, deductible used, cap and cap left, as the counters and packs tell it",
    access: { roles: readers },
    body: { read: 'json', content: json('PersonQuery'), schema: personQuery, invalid: '查询本人的请求无效' },
    answers: { 200: { description: 'Standing', content: json('Standing') } }, problems: {},
    handler: ({ ledger, programmes }) => async ({ body, res }) => {
      const { personId, year = chinaTime(new Date()).slice(0, 4) } = body;
      const snapshot = await ledger.readAccumulators(personId);
      res.json(standingOf(snapshot.values, programmes, year));
    },
  }),
  route({
    method: 'get', path: '/settlements/:hospitalId/:settlementId/slip', summary: 'The printable settlement slip (一站式结算单)',
    access: { roles: readers, hospital: { params: 'hospitalId' } },
    params: settlementPath,
    answers: { 200: { description: 'HTML for one A4 page (一站式结算单): names, times to the minute, 大写, plain explanations, 已撤销 watermark; fonts from /desk/fonts', content: { 'text/html': { text: 'the slip' } } } },
    problems: { 404: 'Unknown' },
    handler: ({ service, programmes, hospitalById }) => async ({ params, res }) => {
      const record = await service.get(params.hospitalId, params.settlementId);
      // Read by the record's own version, never by today's strict request schema (ledger/stored.ts).
      const request = record.request;
      const hospitalName = request.hospital.name ?? hospitalById.get(request.hospital.id)?.name;
      const html = renderSlip(record.split, request, {
        ...(hospitalName ? { hospitalName } : {}),
        programmeName: (id) => programmes.get(id)?.name,
        fontStylesheet: FONT_STYLESHEET,
      });
      res.type('text/html; charset=utf-8').send(html);
    },
  }),
];

/** The page and its files, public: the page holds no data, it asks /v1 with the clerk's token. */
const deskPageRoutes = [
  route({
    method: 'get', path: '/desk', summary: 'The billing desk page (出院结算窗口); /desk redirects to /desk/', access: 'public',
    answers: { 200: { description: 'The page', content: { 'text/html': { text: 'the desk' } } }, 301: { description: 'To /desk/' } }, problems: {},
    handler: ({ assets }) => ({ req, res }) => {
      // Relative to /desk/, so the page's own links resolve under it.
      if (req.originalUrl.split('?')[0] === '/desk') { res.redirect(301, '/desk/'); return; }
      sendAsset(assets, '', res);
    },
  }),
  route({
    method: 'get', path: '/desk/*path', summary: "The desk's script, styles and bundled font", access: 'public',
    params: z.object({ path: z.array(z.string()).meta({ description: 'the file under /desk/ (fonts/…)' }) }),
    answers: {
      200: { description: 'The file', content: { 'text/javascript': { text: 'the bundled script' }, 'text/css': { text: 'styles' }, 'font/woff2': { text: 'Noto Sans SC, subset' } } },
      404: { description: 'No such file', content: { 'text/plain': { text: '未找到' } } },
    },
    problems: {},
    handler: ({ assets }) => ({ params, res }) => { sendAsset(assets, params.path.join('/'), res); },
  }),
];

function sendAsset(assets: DeskAssets, path: string, res: import('express').Response): void {
  const asset = assets.get(path);
  if (!asset) { res.status(404).type('text/plain; charset=utf-8').send('未找到'); return; }
  // Fonts never change within a version; the page and its script are checked on every load.
  res.setHeader('Cache-Control', asset.type.startsWith('font/') ? 'public, max-age=604800' : 'no-cache');
  res.type(asset.type).send(asset.body);
}

/** The billing desk: its page and its /v1 reads (no variables of its own: HOSPITALS_FILE is the gateway's). */
export const deskPart: PartDefinition = { name: 'desk', start: (deps) => startDesk(deps) };

async function startDesk(deps: PartDeps): Promise<GatewayPart> {
  const { config, ledger, service, programmes, log } = deps;
  const { hospitals, demo } = loadHospitals(config.HOSPITALS_FILE, config.NODE_ENV === 'production');
  if (demo) log.warn('no HOSPITALS_FILE: the demo hospital H99000000001 is named; slips of other hospitals print their id');
  const hospitalById = new Map<string, HospitalInfo>(hospitals.map((h) => [h.id, h]));
  const assets = await DeskAssets.load();
  const numbers = new SettlementNumbers(deps.store, ledger);
  // Old claims of settlement numbers are forgotten at start and every hour; a failed prune is tried again then.
  const prune = () => numbers.prune(new Date()).catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'desk: pruning old settlement-number claims failed'));
  void prune();
  const pruning = setInterval(() => void prune(), NUMBER_PRUNE_EVERY_MS);
  pruning.unref();
  const deskDeps: DeskDeps = { ledger, service, programmes, hospitals, hospitalById, numbers, assets };

  return {
    async stop() { clearInterval(pruning); },
    extension: {
      name: 'desk',
      v1: bindRoutes(deskRoutes, deskDeps),
      surfaces: [{ prefix: '', routes: bindRoutes(deskPageRoutes, deskDeps), problems: plainProblems }],
      schemas: {
        Hospitals: hospitalsAnswer, SettlementNumber: settlementNumberAnswer, DayList: dayList,
        PersonQuery: { schema: personQuery, io: 'input' }, PersonSettlements: personSettlements, Standing: standing,
      },
    },
  };
}

function nextDay(date: string): string {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000);
  return next.toISOString().slice(0, 10);
}
