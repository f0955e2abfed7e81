/**
 * Packs checked before they bite (`npm run check-pack`): layer overlaps are load errors, and a counter
 * key of a started pack may not vanish (a renamed rule would silently restart everyone's deductibles).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ProgrammeSet } from '../../gateway/engine/programme-set.js';
import { checkPacks, packCounterKeys } from '../../gateway/programmes/check.js';
import { COMMITTED_SNAPSHOT, runCheckPack } from '../../gateway/programmes/check-cli.js';
import { BUILTIN_PACKS_DIR, loadProgrammes, PackError } from '../../gateway/programmes/load.js';
import type { Pack } from '../../schemas/pack.js';
import { Person, programmes, roster } from '../support/engine.js';
import { compliantItems, request } from '../support/requests.js';

/** Every term has started on this day: the strictest reading of the snapshot. */
const LATE = '2100-01-01';

/** Every file the tests write lives under one directory, removed when they end (each run left ~25 in the system's temp). */
const WRITTEN = mkdtempSync(join(tmpdir(), 'check-pack-'));
afterAll(() => rmSync(WRITTEN, { recursive: true, force: true }));
const freshDir = (): string => mkdtempSync(join(WRITTEN, 'case-'));

/** A copy of a built-in pack with edits, written to a fresh directory; returns the directory and file. */
function packCopy(name: string, edit: (doc: Record<string, unknown> & { rules: Array<Record<string, unknown>> }) => void): { dir: string; file: string } {
  const dir = freshDir();
  const doc = parse(readFileSync(join(BUILTIN_PACKS_DIR, `${name}.yaml`), 'utf8')) as Record<string, unknown> & { rules: Array<Record<string, unknown>> };
  edit(doc);
  const file = join(dir, `${name}-edited.yaml`);
  writeFileSync(file, stringify(doc));
  return { dir, file };
}

function snapshotCopy(): string {
  const file = join(freshDir(), 'snapshot.json');
  copyFileSync(COMMITTED_SNAPSHOT, file);
  return file;
}

describe('check-pack on the shipped packs', () => {
  it('passes against the committed counter-key snapshot: no error, no warning', () => {
    const report = runCheckPack({ paths: [], snapshotFile: COMMITTED_SNAPSHOT, updateSnapshot: false, today: LATE, withBuiltin: true });
    expect(report.errors).toEqual([]);
    expect(report.counterKeyErrors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('passes on the shipped ConfigMap manifest of extra packs', () => {
    const report = runCheckPack({ paths: ['deploy/k8s/configmap-programmes.yaml'], snapshotFile: COMMITTED_SNAPSHOT, updateSnapshot: false, today: LATE, withBuiltin: true });
    expect(report).toMatchObject({ exitCode: 0, errors: [], counterKeyErrors: [] });
  });

  it('runs as a CLI with exit code 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'gateway/programmes/check-cli.ts', '--today', LATE], { cwd: process.cwd() });
    expect(stdout).toContain('check-pack: sound (0 warnings)');
  });
});

describe('two packs of one layer in force at once', () => {
  const basicCopy = (insuredRegions: string[], term = { from: '2024-07-01', to: '2025-06-30', cite: '测试条款' }) =>
    packCopy('demo-990000-2024-basic', (doc) => Object.assign(doc, { id: 'demo-990000-2024-basic-copy', insuredRegions: { value: insuredRegions, cite: '测试条款' }, term }));

  it('is a load error, not "the first wins" (overlapping term and regions, by prefix)', () => {
    const { dir } = basicCopy(['9901']);
    expect(() => loadProgrammes([dir])).toThrow(PackError);
    expect(() => loadProgrammes([dir])).toThrow(/demo-990000-2024-basic and demo-990000-2024-basic-copy are both basic packs.*9901.*2024-07-01\.\.2024-12-31/);
    const report = runCheckPack({ paths: [dir], snapshotFile: COMMITTED_SNAPSHOT, updateSnapshot: false, today: LATE, withBuiltin: true });
    expect(report.exitCode).toBe(1);
    expect(report.errors).toEqual([expect.stringMatching(/both basic packs/)]);
  });

  it('finds it in the packs of a ConfigMap manifest, named by file and key', () => {
    const { file } = basicCopy(['9901']);
    const manifest = join(freshDir(), 'configmap.yaml');
    writeFileSync(manifest, stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'programmes' }, data: { 'README.txt': 'not a pack', 'county-basic.yaml': readFileSync(file, 'utf8') } }));
    const report = runCheckPack({ paths: [manifest], snapshotFile: COMMITTED_SNAPSHOT, updateSnapshot: false, today: LATE, withBuiltin: true });
    expect(report.errors).toEqual([expect.stringMatching(/both basic packs/)]);
    expect(report.warnings).toEqual([expect.stringMatching(/demo-990000-2024-basic-copy: not in the counter-key snapshot/)]);
  });

  it('refuses the same in the engine itself', () => {
    const { dir } = basicCopy(['99']);
    const copy = parse(readFileSync(join(dir, 'demo-990000-2024-basic-edited.yaml'), 'utf8')) as Record<string, unknown>;
    const overlapping = { ...programmes.get('demo-990000-2024-basic')!, id: String(copy.id) } as Pack;
    expect(() => new ProgrammeSet([...programmes.packs, overlapping], programmes.catalogues)).toThrow(/both basic packs/);
  });

  it('accepts packs of one layer that never meet: another region, or another term', () => {
    expect(() => loadProgrammes([basicCopy(['98']).dir])).not.toThrow();
    expect(() => loadProgrammes([basicCopy(['99'], { from: '2025-01-01', to: '2025-12-31', cite: '测试条款' }).dir])).not.toThrow();
  });

  it('lets supplementary packs stack, but not with the same order where they meet', () => {
    const sameOrder = packCopy('weihai-2020-medical', (doc) => Object.assign(doc, { id: 'weihai-2020-medical-county', order: 20 })); // weihai-2020-accident has 20
    expect(() => loadProgrammes([sameOrder.dir])).toThrow(/weihai-2020-accident and weihai-2020-medical-county are supplementary packs.*same order 20/);
    const ownOrder = packCopy('weihai-2020-medical', (doc) => Object.assign(doc, { id: 'weihai-2020-medical-county', order: 15 }));
    expect(() => loadProgrammes([ownOrder.dir])).not.toThrow();
  });
});

describe('a supplementary pack that pays directly without payer.insurerCode', () => {
  const withoutCode = (name: string) => packCopy(name, (doc) => { delete (doc.payer as Record<string, unknown>).insurerCode; });

  it('is an error: every claim it files would be dead-lettered by the relay, never reaching an insurer', () => {
    const { file } = withoutCode('weihai-2020-medical');
    const report = runCheckPack({ paths: [file], snapshotFile: snapshotCopy(), updateSnapshot: false, today: LATE, withBuiltin: false });
    expect(report.exitCode).toBe(1);
    expect(report.errors).toEqual([expect.stringMatching(/^weihai-2020-medical pays directly \(rules ceiling\) but its payer names no insurerCode.*dead-lettered/)]);
  });

  it('is no error for a pack that only pays cash benefits to the patient (no claim is filed)', () => {
    const benefitsOnly = packCopy('wenxi-2023-disabled', (doc) => {
      delete (doc.payer as Record<string, unknown>).insurerCode;
      doc.rules = doc.rules.filter((r) => r.kind === 'dailyAllowance' || r.payment === 'benefit');
    });
    const report = runCheckPack({ paths: [benefitsOnly.file], snapshotFile: snapshotCopy(), updateSnapshot: false, today: LATE, withBuiltin: false });
    expect(report.errors).toEqual([]);
  });

  it('fails the CLI with the pack named', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'gateway/programmes/check-cli.ts', '--without-builtin', '--snapshot', snapshotCopy(), '--today', LATE, withoutCode('weihai-2020-accident').file], { cwd: process.cwd() });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('error: weihai-2020-accident pays directly') });
  });
});

describe('a pack that contradicts itself', () => {
  const check = (file: string) => runCheckPack({ paths: [file], snapshotFile: snapshotCopy(), updateSnapshot: false, today: LATE, withBuiltin: false });
  type Doc = Record<string, unknown> & { rules: Array<Record<string, unknown>> };
  const limits = (doc: Doc) => doc.limits as Array<Record<string, unknown>>;

  it('names a limit over a rule that does not exist, and one over a rule that cannot honour it, by their YAML paths', () => {
    const { file } = packCopy('huiqiongbao-2025', (doc) => { limits(doc)[0]!.rules = ['r1', 'r9']; });
    expect(check(file).errors).toEqual([expect.stringContaining('huiqiongbao-2025 limits.0.rules.1：责任 r9 不存在')]);
    const ceiling = packCopy('weihai-2020-medical', (doc) => { doc.limits = [{ id: 'all', name: '总限额', amount: { value: '1000', cite: 'test' } }]; });
    expect(check(ceiling.file).errors).toEqual([expect.stringContaining('weihai-2020-medical limits.0：未列责任即适用全部责任，但责任 ceiling（burdenCeiling）不受共用限额约束')]);
  });

  it('names a 款 used and not declared, and a 款 no rule pays', () => {
    const undeclared = packCopy('huiqiongbao-2025', (doc) => { (doc.rules[3]!.when as Record<string, unknown>).variants = ['C']; });
    const errors = check(undeclared.file).errors;
    expect(errors).toContain('huiqiongbao-2025 rules.3.when.variants.0：款型 C 未在 variants 中声明（A、A-plus、B）');
    const unpaid = packCopy('huiqiongbao-2025', (doc) => { for (const r of doc.rules) r.when = { ...(r.when as object), variants: ['A'] }; });
    expect(check(unpaid.file).errors).toEqual([
      'huiqiongbao-2025 variants：款型 A-plus（A款升级版）没有任何责任适用',
      'huiqiongbao-2025 variants：款型 B（B款）没有任何责任适用',
    ]);
  });

  it('names two rules with one id, and a limit sharing a rule\'s id (their counters would merge)', () => {
    const { file } = packCopy('huiqiongbao-2025', (doc) => { doc.rules[1]!.id = 'r1'; limits(doc)[1]!.id = 'r3'; });
    expect(check(file).errors).toEqual(expect.arrayContaining([
      expect.stringContaining('huiqiongbao-2025 rules.1.id：责任编号 r1 重复'),
      expect.stringContaining('huiqiongbao-2025 limits.1.id：限额编号 r3 与责任重复'),
    ]));
  });

  it('refuses to load the same pack into the gateway', () => {
    const { dir } = packCopy('huiqiongbao-2025', (doc) => { doc.id = 'huiqiongbao-copy'; doc.order = 71; limits(doc)[0]!.rules = ['r9']; });
    expect(() => loadProgrammes([dir])).toThrow(/huiqiongbao-copy limits\.0\.rules\.0：责任 r9 不存在/);
  });
});

describe('counter keys of a started pack', () => {
  const renamed = () => packCopy('weihai-2020-medical', (doc) => { doc.rules[0]!.id = 'ceiling-2020'; });

  it('refuses a renamed rule once the term has started: every person\'s accumulators would restart', () => {
    const { file } = renamed();
    const report = runCheckPack({ paths: [file], snapshotFile: snapshotCopy(), updateSnapshot: false, today: '2020-06-01', withBuiltin: false });
    expect(report.exitCode).toBe(1);
    expect(report.errors).toEqual([]);
    expect(report.counterKeyErrors).toEqual([expect.stringMatching(/weihai-2020-medical: counter keys ceiling\.burden, ceiling\.compliant, ceiling\.paid are gone.*ceiling-2020\.paid.*term started 2020-01-01/)]);
  });

  it('only warns before the term starts', () => {
    const report = runCheckPack({ paths: [renamed().file], snapshotFile: snapshotCopy(), updateSnapshot: false, today: '2019-12-01', withBuiltin: false });
    expect(report.exitCode).toBe(0);
    expect(report.warnings).toEqual([expect.stringMatching(/ceiling\.paid.*update the snapshot/)]);
  });

  it('accepts the rename deliberately with --update-snapshot, and then passes', () => {
    const { file } = renamed();
    const snapshotFile = snapshotCopy();
    const accepted = runCheckPack({ paths: [file], snapshotFile, updateSnapshot: true, today: '2020-06-01', withBuiltin: false });
    expect(accepted).toMatchObject({ exitCode: 0, snapshotWritten: true });
    expect(JSON.parse(readFileSync(snapshotFile, 'utf8')).packs['weihai-2020-medical'].counterKeys).toEqual(['ceiling-2020.burden', 'ceiling-2020.compliant', 'ceiling-2020.paid']);
    expect(runCheckPack({ paths: [file], snapshotFile, updateSnapshot: false, today: '2020-06-01', withBuiltin: false }).exitCode).toBe(0);
  });

  it('never accepts an invalid or overlapping pack with --update-snapshot', () => {
    const { file } = packCopy('weihai-2020-medical', (doc) => { delete (doc.rules[0]!.annualCap as Record<string, unknown>).cite; });
    const snapshotFile = snapshotCopy();
    const report = runCheckPack({ paths: [file], snapshotFile, updateSnapshot: true, today: LATE, withBuiltin: false });
    expect(report).toMatchObject({ exitCode: 1, snapshotWritten: false });
    expect(report.errors).toEqual([expect.stringMatching(/annualCap\.cite/)]);
  });

  it('reports a started pack of the snapshot that is no longer loaded', () => {
    const snapshot = { packs: { 'gone-2024-programme': { version: '1', termFrom: '2024-01-01', counterKeys: ['r1.paid'] } } };
    const report = checkPacks({ packs: [], invalid: [], catalogueIds: new Set(), snapshot, today: LATE, complete: true });
    expect(report.counterKeyErrors).toEqual([expect.stringMatching(/gone-2024-programme.*not loaded.*orphaned/)]);
  });

  it('exits 1 from the CLI on a renamed rule', async () => {
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'gateway/programmes/check-cli.ts', '--without-builtin', '--snapshot', snapshotCopy(), '--today', '2020-06-01', renamed().file], { cwd: process.cwd() });
    await expect(run).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('error: weihai-2020-medical: counter keys ceiling.burden') });
  });
});

describe('the declared counter keys are the keys the engine writes', () => {
  it('every delta of representative stays of every pack is declared', () => {
    const capped = structuredClone(programmes.get('wenxi-2023-disabled')!);
    const allowance = capped.rules.find((r) => r.kind === 'dailyAllowance');
    if (allowance?.kind !== 'dailyAllowance') throw new Error('expected the allowance rule');
    allowance.maxDaysPerYear = { value: 30, cite: '测试条款' };
    const set = new ProgrammeSet([...programmes.packs.filter((p) => p.id !== capped.id), capped], programmes.catalogues);
    const rosters = (personId: string, from: string, to: string) => Object.fromEntries(['weihai-2020-poverty', 'sanming-2024-puhui', 'wenxi-2023-disabled'].map((id) => [id, roster([{ personId, from, to }])]));
    const stays = [
      request({ items: compliantItems('300000.00'), patient: { categories: ['dibao-edge'] } }),
      request({ items: compliantItems('300000.00'), patient: { categories: ['tekun'] } }),
      request({ items: compliantItems('30000.00'), hospital: { id: 'H1', region: '371002' }, patient: { id: 'P1', insuredRegion: '371002' }, encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10', cause: 'accident' } }),
      request({ items: compliantItems('30000.00'), hospital: { id: 'H2', region: '320602' }, patient: { id: 'P2', insuredRegion: '320602', categories: ['dibao'] }, encounter: { admittedOn: '2022-05-01', dischargedOn: '2022-05-20', diagnoses: [{ icd10: 'C34.9', primary: true }] } }),
      request({ items: compliantItems('300000.00'), hospital: { id: 'H3', region: '350402', drgPublic: true }, patient: { id: 'P3', insuredRegion: '350402' }, encounter: { admittedOn: '2024-04-01', dischargedOn: '2024-04-15' } }),
      request({ items: compliantItems('300000.00'), hospital: { id: 'H3', region: '350102' }, patient: { id: 'P3', insuredRegion: '350402' }, encounter: { admittedOn: '2024-04-01', dischargedOn: '2024-04-15' } }),
      request({ items: compliantItems('30000.00'), hospital: { id: 'H3', region: '350402' }, patient: { id: 'P3', insuredRegion: '350402' }, encounter: { kind: 'outpatientSpecial', admittedOn: '2024-04-01', dischargedOn: '2024-04-15' } }),
      request({ items: compliantItems('30000.00'), hospital: { id: 'H4', region: '140823', level: 2 }, patient: { id: 'P4', insuredRegion: '140823', disability: { grade: 1, type: 'physical' } }, encounter: { admittedOn: '2023-05-01', dischargedOn: '2023-05-10', cause: 'accident' } }),
    ];
    const written = new Set<string>();
    for (const stay of stays) {
      const { result } = new Person(rosters(stay.patient.id, '2000-01-01', '2099-12-31'), set).preview(stay);
      for (const key of Object.keys(result.deltas)) written.add(key);
    }
    const declared = new Set(set.packs.flatMap((p) => packCounterKeys(p).map((tail) => `${p.id}|${tail}`)));
    const undeclared = [...written].map((key) => key.split('|')).map(([id, , tail]) => `${id}|${tail}`).filter((key) => !declared.has(key));
    expect(undeclared).toEqual([]);
    // every kind with counters was exercised
    expect([...written].map((k) => k.split('|')[0]).sort()).toEqual(expect.arrayContaining(['demo-990000-2024-basic', 'demo-990000-2024-major-illness', 'demo-990000-2024-aid', 'weihai-2020-medical', 'weihai-2020-accident', 'nantong-2022-dibubao', 'sanming-2024-puhui', 'wenxi-2023-disabled']));
    expect(written).toContain('wenxi-2023-disabled|2023|hospital-allowance.days');
  });
});

describe('a pack named as a split line no pack decided', () => {
  it.each(['none', 'upstream'])('refuses the id %s: the slip, the 医保 view and the reports read a line of that programme as no pack\'s', (id) => {
    const { dir } = packCopy('weihai-2020-accident', (doc) => { doc.id = id; });
    expect(() => loadProgrammes([dir])).toThrow(/none and upstream name split lines no pack decided/);
  });
});
