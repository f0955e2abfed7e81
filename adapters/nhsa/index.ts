/**
 * The 医保 platform adapter as a part of the gateway: the national interface at /nhsa/{infno}, the
 * delivery of nhsa.settlements to the platform, and the clerk's endpoints under /v1/nhsa.
 */
import express from 'express';
import { z } from 'zod';
import { Counter } from 'prom-client';
import type { GatewayPart, PartDeps } from '../../gateway/parts.js';
import { requireHospital, requireRole } from '../../gateway/http/auth.js';
import { InvalidInput, NotFound } from '../../gateway/errors.js';
import { topics } from '../../gateway/stream/topics.js';
import { loadHospitals } from '../../gateway/desk/hospitals.js';
import type { RosterRow } from '../../schemas/roster.js';
import { NhsaDelivery } from './delivery.js';
import { NhsaFault } from './fault.js';
import { basicTermsReader } from './basic-terms.js';
import { loadCatalogueFiles } from './catalogue/catalogue.js';
import { Classifier } from './catalogue/classify.js';
import { loadMappingsFile, Mappings } from './catalogue/mappings.js';
import { fundPayTypesFrom } from './fund-pay-types.js';
import { date } from './inputs.js';
import { applyFilters, compareDetail, comparisonRows, detailRows, hospitalRows, STATEMENT_COLUMNS } from './reconcile.js';
import { charsetOf, csvCharset, csvFile, decodeCsvUpload } from '../../gateway/csv.js';
import { nhsaOpenApiPaths } from './openapi.js';
import { mountNhsa } from './router.js';
import { statementRows } from './statements.js';
import { Answers } from './answers.js';
import { SignIns } from './sign-in.js';
import { Stays } from './stays.js';
import { Files } from './calls/files.js';
import { readNational } from './wire.js';
import { loadSecurity } from './security/config.js';
import { NhsaSecurity } from './security/envelope-security.js';

/** The clerk's detail file as JSON: { "detail": [ rows ] }. */
const detailFile = z.object({ detail: z.array(z.unknown()) });

export async function startNhsa(deps: PartDeps): Promise<GatewayPart> {
  const { config, log, metrics } = deps;
  const clock = () => new Date();
  const stays = new Stays(deps.store);
  const mapping = { fundPayTypes: fundPayTypesFrom(config.NHSA_FUND_PAY_TYPES), insurerCodeOf: (p: string) => deps.programmes.get(p)?.payer.insurerCode, basicTermsOf: basicTermsReader(deps.programmes) };
  const { hospitals } = loadHospitals(config.HOSPITALS_FILE, config.NODE_ENV === 'production');
  const hospitalOf = (id: string) => hospitals.find((h) => h.id === id);
  const rosterIds = [...new Set(deps.programmes.packs.flatMap((p) => (p.eligibility.roster ? [p.eligibility.roster.id] : [])))];
  /** The person's rows on every roster the gateway holds. */
  const rosterRows = async (personId: string): Promise<RosterRow[]> => (rosterIds.length === 0 ? [] : Object.values(await deps.ledger.rosterRows(rosterIds, personId)).flat());
  const catalogueFiles = (config.NHSA_CATALOGUE_FILES ?? '').split(',').map((f) => f.trim()).filter((f) => f);
  const catalogue = catalogueFiles.length > 0 ? loadCatalogueFiles(catalogueFiles) : undefined;
  const classifier = new Classifier(catalogue, new Mappings(deps.store, loadMappingsFile(config.NHSA_CATALOGUE_MAPPINGS_FILE)));
  if (catalogue) log.info({ files: catalogueFiles, codes: catalogue.size }, 'nhsa: 2301 rows classify by the 医保目录');
  else log.info('nhsa: NHSA_CATALOGUE_FILES not set — 2301 rows classify by the HIS\'s chrgitm_lv/selfpay_prop row extension (absent: 丙类)');
  const refusals = new Counter({ name: 'gateway_nhsa_security_refusals_total', help: 'National-interface calls refused by the region\'s security, by code', labelNames: ['code'] as const, registers: [metrics.registry] });
  const calls = new Counter({ name: 'gateway_nhsa_calls_total', help: 'National-interface calls by infno and outcome', labelNames: ['infno', 'outcome'] as const, registers: [metrics.registry] });

  const security = new NhsaSecurity(loadSecurity(config.NHSA_SECURITY_FILE), deps.store);
  log.info({ mode: security.mode }, 'nhsa: national-interface security mode');

  const t = topics(config.KAFKA_TOPIC_PREFIX);
  let delivery: NhsaDelivery | undefined;
  if (config.NHSA_PLATFORM_URL) {
    const problem = security.deliveryProblem();
    if (problem) throw new Error(`NHSA_SECURITY_FILE: ${problem} (NHSA_PLATFORM_URL is set)`);
    delivery = new NhsaDelivery({
      bus: deps.bus, store: deps.store, topic: t.nhsaSettlements, dlqTopic: t.dlq(t.nhsaSettlements), groupId: config.NHSA_DELIVERY_GROUP,
      url: config.NHSA_PLATFORM_URL, token: config.NHSA_PLATFORM_TOKEN, format: config.NHSA_DELIVERY_FORMAT, hospitalOf, timeoutMs: config.NHSA_DELIVERY_TIMEOUT_MS,
      maxAttempts: config.NHSA_DELIVERY_MAX_ATTEMPTS, backoffInitialMs: config.NHSA_DELIVERY_BACKOFF_MS, backoffMaxMs: config.NHSA_DELIVERY_BACKOFF_MAX_MS,
      breakerResetMs: config.NHSA_BREAKER_RESET_MS, registry: metrics.registry, log,
      seal: (body, headers) => security.sealDelivery(body, headers, clock()),
    });
    await delivery.start();
    log.info({ group: config.NHSA_DELIVERY_GROUP, format: config.NHSA_DELIVERY_FORMAT }, 'nhsa: delivering nhsa.settlements to the 医保 platform');
  } else {
    log.info('nhsa: NHSA_PLATFORM_URL not set — delivery to the 医保 platform is disabled (nhsa.settlements is still published)');
  }

  /** The gateway's 对账 rows of a hospital and period, for the clerk. */
  const rowsFor = async (req: express.Request) => {
    const hospitalId = String(req.query.fixmedins_code ?? '');
    const from = String(req.query.begndate ?? '');
    const to = String(req.query.enddate ?? '');
    const bad = [
      ...(hospitalId ? [] : [{ path: 'query.fixmedins_code', message: '必填项缺失' }]),
      ...([['begndate', from], ['enddate', to]] as const).flatMap(([name, value]) => {
        const parsed = date.safeParse(value);
        return parsed.success ? [] : [{ path: `query.${name}`, message: parsed.error.issues[0]?.message ?? '应为 yyyy-MM-dd' }];
      }),
    ];
    if (bad.length > 0) throw new InvalidInput(`需要 fixmedins_code、begndate、enddate（yyyy-MM-dd，存在的日期）：${bad.map((b) => `${b.path} ${b.message}`).join('；')}`, bad);
    requireHospital(req.client, hospitalId, 'desk', 'admin', 'auditor');
    try {
      const rows = await statementRows(deps.ledger, stays, mapping, hospitalId, from, to);
      return applyFilters(rows, { insutype: req.query.insutype as string | undefined, clr_type: req.query.clr_type as string | undefined, setl_optins: req.query.setl_optins as string | undefined });
    } catch (error) {
      if (error instanceof NhsaFault) throw new InvalidInput(error.message, [{ path: 'query', message: error.message }]);
      throw error;
    }
  };
  const wantsCsv = (req: express.Request) => req.query.format === 'csv' || (req.headers.accept ?? '').includes('text/csv');
  // For the clerk's Excel: UTF-8 with a BOM, or GBK with ?charset=gbk, as every CSV the gateway serves.
  const sendCsv = (res: express.Response, req: express.Request, rows: ReadonlyArray<ReadonlyArray<string | number>>) => {
    const { body, contentType } = csvFile(rows, csvCharset(req.query.charset));
    res.type(contentType).send(body);
  };

  return {
    extension: {
      name: 'nhsa',
      openapi: () => ({ paths: nhsaOpenApiPaths() }),
      mount: (app, ctx) => mountNhsa(app, ctx, {
        log, clock, bodyLimitBytes: config.BODY_LIMIT_BYTES, security,
        context: { stays, service: deps.service, ledger: deps.ledger, mapping, classifier, clock, hospitalOf, rosterRows, signIns: new SignIns(deps.store, config.NHSA_SIGN_IN), answers: new Answers(deps.store), files: new Files(deps.store) },
        onCall: (infno, outcome) => calls.inc({ infno, outcome }),
        onRefused: (code) => refusals.inc({ code }),
      }),
      v1: (router) => {
        // 3202 detail for the clerk: the gateway's rows of a period, JSON or CSV (the detail file's columns).
        router.get('/nhsa/statements/detail', async (req, res) => {
          const rows = detailRows(await rowsFor(req), undefined);
          if (wantsCsv(req)) sendCsv(res, req, [[...STATEMENT_COLUMNS], ...rows.map((r) => STATEMENT_COLUMNS.map((c) => r[c]))]);
          else res.json({ detail: rows });
        });
        // The hospital's detail file (CSV, or JSON { detail: [...] }) against the gateway's rows: matched, missing either side, amount mismatches.
        // The hospital's file as its bytes: a detail file Excel saved as GBK is read as such, not garbled (one reader of CSV uploads).
        router.post('/nhsa/statements/compare', express.raw({ type: ['text/csv', 'text/plain', 'application/json'], limit: config.BODY_LIMIT_BYTES }), async (req, res) => {
          const gateway = await rowsFor(req);
          const bytes: unknown = req.body;
          const body = Buffer.isBuffer(bytes) ? decodeCsvUpload(bytes, charsetOf(req.get('content-type'))).text : '';
          let hospital;
          try {
            if ((req.headers['content-type'] ?? '').includes('json')) {
              const parsed = detailFile.safeParse(readNational(body));
              if (!parsed.success) throw new NhsaFault('detail：应为明细数组 { "detail": [ … ] }');
              hospital = hospitalRows(parsed.data.detail, undefined, 'detail');
            } else hospital = hospitalRows(undefined, body, 'csv');
          } catch (error) {
            const message = error instanceof NhsaFault ? error.message : '明细文件无法读取';
            throw new InvalidInput(message, [{ path: '(body)', message }]);
          }
          const comparison = compareDetail(hospital, gateway);
          if (wantsCsv(req)) sendCsv(res, req, comparisonRows(comparison));
          else res.json(comparison);
        });
        router.get('/nhsa/dead-letters', async (req, res) => {
          requireRole(req.client, 'admin');
          if (!delivery) throw new NotFound('未配置医保平台地址（NHSA_PLATFORM_URL），投递未启用');
          res.json({ dead: await delivery.deadLetters(), breaker: delivery.breakerState });
        });
        // Replay of dead letters once the cause is fixed: reads nhsa.settlements.dlq to its end, re-posts what was never acknowledged.
        router.post('/nhsa/dead-letters/replay', async (req, res) => {
          requireRole(req.client, 'admin');
          if (!delivery) throw new NotFound('未配置医保平台地址（NHSA_PLATFORM_URL），投递未启用');
          const result = await delivery.replayDeadLetters();
          log.info({ replayed: result.replayed, failed: result.failed.length, skipped: result.skipped }, 'nhsa: dead letters replayed');
          res.json(result);
        });
      },
    },
    readiness: [],
    async stop() { await delivery?.stop(); },
  };
}
