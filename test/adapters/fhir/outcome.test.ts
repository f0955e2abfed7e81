/** Gateway errors as OperationOutcome: the issue type a FHIR client acts on, and when to retry. */
import { describe, expect, it } from 'vitest';
import { operationOutcomeOf, retryAfterOf } from '../../../adapters/fhir/outcome.js';
import { Conflict, OutcomeUnknown, Unavailable } from '../../../gateway/errors.js';
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

  it('says "conflict" without Retry-After for a settlement id used for another claim', () => {
    const error = new Conflict('已用于内容不同的结算', [{ path: 'settlementId', message: '该结算号已用于另一笔请求' }]);
    expect(operationOutcomeOf(error).issue).toEqual([{ severity: 'error', code: 'conflict', diagnostics: '已用于内容不同的结算: 该结算号已用于另一笔请求', expression: ['settlementId'] }]);
    expect(retryAfterOf(error)).toBeUndefined();
  });
});
