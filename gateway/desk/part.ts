/**
 * The billing desk (出院结算窗口): its page and files under /desk, and the /v1 reads it needs beyond
 * the settlement endpoints — the hospitals a client acts for, the day's list with totals per payer,
 * a person's settlements and year-to-date standing, and the printable slip. The page itself talks
 * only to /v1 with the clerk's token, like any HIS would.
 */
import type { Request, Response } from 'express';
import { dayListQuery, personQuery, settlementNumberQuery, type HospitalInfo, type SettlementNumberAnswer } from '../../schemas/desk.js';
import { fieldErrors, InvalidInput } from '../errors.js';
import { requireHospital, requireRole } from '../http/auth.js';
import type { GatewayPart, PartDeps } from '../parts.js';
import { chinaTime } from '../service/ids.js';
import { DeskAssets, FONT_STYLESHEET } from './assets.js';
import { loadHospitals } from './hospitals.js';
import { SettlementNumbers } from './numbers.js';
import { deskOpenApiPaths, deskOpenApiSchemas } from './openapi.js';
import { renderSlip } from './slip/render.js';
import { standingOf } from './standing.js';
import { DayListBuilder, MAX_LISTED, summarise } from './summaries.js';

const param = (req: Request, name: string): string => String(req.params[name] ?? '');
const NUMBER_PRUNE_EVERY_MS = 3_600_000;

export async function startDesk(deps: PartDeps): Promise<GatewayPart> {
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

  const person = (req: Request) => {
    const parsed = personQuery.safeParse(req.body ?? {});
    if (!parsed.success) throw new InvalidInput('查询本人的请求无效', fieldErrors(parsed.error.issues));
    return parsed.data;
  };

  return {
    async stop() { clearInterval(pruning); },
    extension: {
      name: 'desk',
      openapi: () => ({ paths: deskOpenApiPaths(), schemas: deskOpenApiSchemas() }),
      mount(app) {
        app.get(['/desk', '/desk/{*path}'], (req: Request, res: Response) => {
          // Relative to /desk/, so the page's own links resolve under it.
          if (req.originalUrl.split('?')[0] === '/desk') { res.redirect(301, '/desk/'); return; }
          const path = [req.params.path ?? []].flat().join('/');
          const asset = assets.get(path);
          if (!asset) { res.status(404).type('text/plain; charset=utf-8').send('未找到'); return; }
          // Fonts never change within a version; the page and its script are checked on every load.
          res.setHeader('Cache-Control', asset.type.startsWith('font/') ? 'public, max-age=604800' : 'no-cache');
          res.type(asset.type).send(asset.body);
        });
      },
      v1(router, ctx) {
        router.get('/hospitals', (req, res) => {
          const client = requireRole(req.client, 'desk', 'admin', 'auditor');
          const ids = client.hospitalIds === '*' ? hospitals.map((h) => h.id) : client.hospitalIds;
          res.json({ hospitals: ids.map((id) => hospitalById.get(id) ?? { id }) });
        });

        // A POST: each call gives out a new number (a window's 下一位), never one another window was given.
        router.post('/hospitals/:hospitalId/settlement-numbers', async (req, res) => {
          const query = settlementNumberQuery.safeParse({ hospitalId: param(req, 'hospitalId') });
          if (!query.success) throw new InvalidInput('医疗机构编码无效', fieldErrors(query.error.issues));
          const { hospitalId } = query.data;
          const client = requireHospital(req.client, hospitalId, 'desk');
          const answer: SettlementNumberAnswer = { settlementId: await numbers.issue(hospitalId, new Date(), client.name) };
          res.status(201).json(answer);
        });

        router.get('/settlements', async (req, res) => {
          const query = dayListQuery.safeParse({ hospitalId: req.query.hospitalId, date: req.query.date ?? chinaTime(new Date()).slice(0, 10) });
          if (!query.success) throw new InvalidInput('须给出医疗机构编码（hospitalId）与日期（YYYY-MM-DD）', fieldErrors(query.error.issues));
          const { hospitalId, date } = query.data;
          requireHospital(req.client, hospitalId, 'desk', 'admin', 'auditor');
          const day = new DayListBuilder(hospitalId, date);
          for await (const record of ledger.listSettlements({ from: date, to: nextDay(date), hospitalId })) day.add(summarise(record));
          res.json(day.result());
        });

        // Person look-ups are POSTs with the ID in the body: an ID number never appears in a URL.
        router.post('/persons/settlements', ctx.json, async (req, res) => {
          const client = requireRole(req.client, 'desk', 'admin', 'auditor');
          const records = await ledger.settlementsOfPerson(person(req).personId);
          // A desk sees its own hospitals' settlements of the person; auditors and all-hospital clients see all.
          const visible = records.filter((r) => client.hospitalIds === '*' || client.roles.includes('auditor') || client.hospitalIds.includes(r.hospitalId));
          res.json({ settlements: visible.slice(-MAX_LISTED).map(summarise) });
        });

        router.post('/persons/standing', ctx.json, async (req, res) => {
          requireRole(req.client, 'desk', 'admin', 'auditor');
          const { personId, year = chinaTime(new Date()).slice(0, 4) } = person(req);
          const snapshot = await ledger.readAccumulators(personId);
          res.json(standingOf(snapshot.values, programmes, year));
        });

        router.get('/settlements/:hospitalId/:settlementId/slip', async (req, res) => {
          requireHospital(req.client, param(req, 'hospitalId'), 'desk', 'admin', 'auditor');
          const record = await service.get(param(req, 'hospitalId'), param(req, 'settlementId'));
          // Read by the record's own version, never by today's strict request schema (ledger/stored.ts).
          const request = record.request;
          const hospitalName = request.hospital.name ?? hospitalById.get(request.hospital.id)?.name;
          const html = renderSlip(record.split, request, {
            ...(hospitalName ? { hospitalName } : {}),
            programmeName: (id) => programmes.get(id)?.name,
            fontStylesheet: FONT_STYLESHEET,
          });
          res.setHeader('Cache-Control', 'no-store');
          res.type('text/html; charset=utf-8').send(html);
        });
      },
    },
  };
}

function nextDay(date: string): string {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000);
  return next.toISOString().slice(0, 10);
}
