/** Gateway errors as OperationOutcome: the issue type a FHIR client acts on, and when to retry. */
import { describe, expect, it } from 'vitest';
import { operationOutcomeOf, retryAfterOf } from '../../../adapters/fhir/outcome.js';
import { Conflict, InvalidInput, OutcomeUnknown, Unavailable } from '../../../gateway/errors.js';
import { outcomeUnknown } from '../../../gateway/service/settlements.js';

describe('OperationOutcome of a gateway error', () => {
  it('says "transient" with Retry-After when resubmitting the same Claim is the answer: unavailable, or the outcome unknown', () => {
    for (const error of [new Unavailable('暂不可用', 1), outcomeUnknown('ZY1')]) {
      expect(operationOutcomeOf(error).issue.every((i) => i.code === 'transient')).toBe(true);
      expect(retryAfterOf(error)).toBeGreaterThan(0);
    }
    expect(outcomeUnknown('ZY1')).toBeInstanceOf(OutcomeUnknown);
    expect(operationOutcomeOf(outcomeUnknown('ZY1')).issue[0]!.diagnostics).toContain('切勿换新结算号');
  });

  it('gives an expression only to a FHIRPath: a search parameter is named in the diagnostics', () => {
    const error = new InvalidInput('_count 须为 1–100', [{ path: '_count', message: 'expected an integer 1–100' }, { path: 'Claim.item[0].net.value', message: 'x' }]);
    const issues = operationOutcomeOf(error).issue;
    expect(issues[0]).not.toHaveProperty('expression');
    expect(issues[0]!.diagnostics).toContain('_count');
    expect(issues[1]!.expression).toEqual(['Claim.item[0].net.value']);
  });

  it('says "conflict" without Retry-After for a settlement id used for another claim', () => {
    const error = new Conflict('已用于内容不同的结算', [{ path: 'settlementId', message: '该结算号已用于另一笔请求' }]);
    // A native field name is no FHIRPath: named in the diagnostics, never as an expression.
    expect(operationOutcomeOf(error).issue).toEqual([{ severity: 'error', code: 'conflict', diagnostics: '已用于内容不同的结算: 该结算号已用于另一笔请求（参数 settlementId）' }]);
    expect(retryAfterOf(error)).toBeUndefined();
  });
});
