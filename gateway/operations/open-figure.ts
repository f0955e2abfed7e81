/**
 * One figure of a candidate pack left open for pricing: named by its path into the pack as written
 * (`rules.r1.deductible.amount`: a list's element by its `id`, or by its index), with the range to search
 * and its unit — yuan, searched to the fen, or a ratio, searched to a basis point (0.0001). The pack is
 * valid as written (the figure there is the plan's current reading); each figure tried is written at that
 * path and the whole pack validated again, so a figure the schema refuses (a ratio above 1) is refused here.
 */
import { Decimal } from 'decimal.js';
import { parse } from 'yaml';
import * as z from 'zod';
import { pack, type Pack } from '../../schemas/pack.js';
import { formatFen, parseFen, parsePpm } from '../engine/money.js';
import { InvalidInput } from '../errors.js';
import { parseCandidatePack } from './candidate.js';

const figureUnit = z.enum(['yuan', 'ratio']);
export type FigureUnit = z.infer<typeof figureUnit>;

export const openFigure = z.object({
  path: z.string().min(1).max(300).regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_.-]+)*$/, '应为政策包内的路径，如 rules.r1.deductible.amount'),
  unit: figureUnit.meta({ description: 'yuan: searched to the fen; ratio: searched to a basis point (0.0001)' }),
  min: z.union([z.string(), z.number()]).transform(String),
  max: z.union([z.string(), z.number()]).transform(String),
}).strict();
export type OpenFigureInput = z.input<typeof openFigure>;

/**
 * The pack's sections the engine never reads — figures for the reports, the second payout and the pricing
 * (premium, service fee, loss-ratio target, profit cap, operating costs): what the engine pays cannot depend on
 * a figure there, so a pricing run replays the year once for such a figure (pricing.ts).
 * test/operations/pricing-unread-figures.test.ts settles years of every programme with each section listed here
 * watched, and fails on any read of it by the engine.
 */
export const SECTIONS_THE_ENGINE_NEVER_READS: readonly string[] = ['operations'];

/** Basis points per ppm: a ratio's grid step is 0.0001 = 100 ppm. */
const PPM_PER_BP = 100;

/** A figure's grid step as the text written into the pack. */
export const figureText = (unit: FigureUnit, step: number): string => (unit === 'yuan' ? formatFen(step) : new Decimal(step).div(10_000).toFixed(4));

function stepOf(unit: FigureUnit, text: string): number | null {
  if (unit === 'yuan') return parseFen(text);
  const ppm = parsePpm(text);
  return ppm !== null && ppm % PPM_PER_BP === 0 ? ppm / PPM_PER_BP : null;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const jsonValue: z.ZodType<Json> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

type Place = ({ list: Json[]; index: number } | { map: { [key: string]: Json }; key: string }) & { trail: string };

/** Where the path's last segment sits; null when the path leads nowhere. */
function locate(root: Json, segments: readonly string[]): Place | null {
  let at: Json = root;
  let trail = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    let place: Place;
    if (Array.isArray(at)) {
      const byId = at.findIndex((x) => typeof x === 'object' && x !== null && !Array.isArray(x) && x.id === segment);
      const index = byId >= 0 ? byId : /^\d+$/.test(segment) ? Number(segment) : -1;
      if (index < 0 || index >= at.length) return null;
      trail += `${trail ? '.' : ''}${index}`;
      place = { list: at, index, trail };
    } else if (typeof at === 'object' && at !== null && segment in at) {
      trail += `${trail ? '.' : ''}${segment}`;
      place = { map: at, key: segment, trail };
    } else {
      return null;
    }
    if (i === segments.length - 1) return place;
    const next: Json | undefined = 'list' in place ? place.list[place.index] : place.map[place.key];
    if (next === undefined) return null;
    at = next;
  }
  return null;
}

const read = (root: Json, segments: readonly string[]): Json | undefined => {
  const place = locate(root, segments);
  if (!place) return undefined;
  return 'list' in place ? place.list[place.index] : place.map[place.key];
};

export interface OpenFigure {
  path: string;
  unit: FigureUnit;
  /** The grid: integer fen or basis points, inclusive. */
  lo: number;
  hi: number;
  /** The figure as the candidate writes it, on the grid (null when it is not a figure of this unit's grid). */
  written: number | null;
  /** Whether the engine reads the figure's path, so that the claims may move with it (SECTIONS_THE_ENGINE_NEVER_READS). */
  movesClaims: boolean;
  /** The candidate pack with this figure written at the path (validated; memoised per step). */
  packAt(step: number): Pack;
}

export function openFigureOf(candidateText: string, input: z.output<typeof openFigure>): OpenFigure {
  parseCandidatePack(candidateText); // the pack as written must be a pack (and not too large): its errors are named as for a what-if
  const raw = jsonValue.parse(parse(candidateText, { schema: 'core' }));
  const segments = input.path.split('.');
  const current = read(raw, segments);
  if (typeof current !== 'string' && typeof current !== 'number') {
    throw new InvalidInput('待定数值的路径不在政策包中', [{ path: 'figure.path', message: `${input.path} 不是政策包中的一个数值（列表元素按 id 或序号指定，如 rules.r1.deductible.amount）` }]);
  }
  const unitName = input.unit === 'yuan' ? '金额（元，最多两位小数）' : '比例（0 到 1，最多四位小数）';
  const lo = stepOf(input.unit, input.min);
  const hi = stepOf(input.unit, input.max);
  const errors: Array<{ path: string; message: string }> = [];
  if (lo === null) errors.push({ path: 'figure.min', message: `应为${unitName}` });
  if (hi === null) errors.push({ path: 'figure.max', message: `应为${unitName}` });
  if (errors.length) throw new InvalidInput('待定数值的范围无效', errors);
  if (lo === null || hi === null) throw new Error('unreachable');
  if (hi <= lo) throw new InvalidInput('待定数值的范围无效', [{ path: 'figure.max', message: '上限应大于下限' }]);

  const packs = new Map<number, Pack>();
  const packAt = (step: number): Pack => {
    const cached = packs.get(step);
    if (cached) return cached;
    const copy = structuredClone(raw);
    const at = locate(copy, segments);
    if (!at) throw new Error(`path ${input.path} vanished from its copy`);
    const text = figureText(input.unit, step);
    if ('list' in at) at.list[at.index] = text;
    else at.map[at.key] = text;
    const parsed = pack.safeParse(copy);
    if (!parsed.success) {
      // Refused at the figure itself: the figure is not of the unit named (a ratio's 0.0000 where yuan are read).
      if (parsed.error.issues.some((i) => i.path.join('.') === at.trail)) {
        throw new InvalidInput('待定数值的单位与政策包不符', [{ path: 'figure.unit', message: `${input.path} 处不接受 ${text}（${unitName}）：${parsed.error.issues.map((i) => i.message).join('；')}` }]);
      }
      throw new InvalidInput(`待定数值取 ${text} 时政策包无效`, parsed.error.issues.map((i) => ({ path: `pack.${i.path.join('.')}`, message: i.message })));
    }
    // The schema reads the figure in its own unit (fen or ppm): a unit named wrongly shows here, not as a quietly wrong answer.
    const seen = read(jsonValue.parse(JSON.parse(JSON.stringify(parsed.data))), segments);
    const expected = input.unit === 'yuan' ? step : step * PPM_PER_BP;
    if (seen !== expected) {
      throw new InvalidInput('待定数值的单位与政策包不符', [{ path: 'figure.unit', message: `${input.path} 处的数值按政策包读作 ${String(seen)}，不是${unitName}` }]);
    }
    packs.set(step, parsed.data);
    return parsed.data;
  };
  packAt(lo);
  packAt(hi);
  const written = stepOf(input.unit, String(current));
  return {
    path: input.path, unit: input.unit, lo, hi, written: written !== null && written >= lo && written <= hi ? written : null,
    movesClaims: !SECTIONS_THE_ENGINE_NEVER_READS.includes(segments[0] ?? ''), packAt,
  };
}
