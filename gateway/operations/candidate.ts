/** A candidate pack as an actuary sends it: YAML (or JSON) text, validated against the pack schema like any pack. */
import { parse } from 'yaml';
import { pack, type Pack } from '../../schemas/pack.js';
import { InvalidInput } from '../errors.js';

/** Bounded: a pack is a few kilobytes; anything larger is not a pack. */
export const CANDIDATE_MAX_CHARS = 200_000;

export function parseCandidatePack(text: string): Pack {
  if (text.length > CANDIDATE_MAX_CHARS) throw new InvalidInput('候选政策包过大', [{ path: 'pack', message: `at most ${CANDIDATE_MAX_CHARS} characters` }]);
  let json: unknown;
  try {
    json = parse(text, { schema: 'core' });
  } catch (error) {
    throw new InvalidInput('候选政策包不是有效的 YAML', [{ path: 'pack', message: error instanceof Error ? error.message : String(error) }]);
  }
  const parsed = pack.safeParse(json);
  if (!parsed.success) throw new InvalidInput('候选政策包不符合政策包格式', parsed.error.issues.map((i) => ({ path: `pack.${i.path.join('.')}`, message: i.message })));
  return parsed.data;
}
