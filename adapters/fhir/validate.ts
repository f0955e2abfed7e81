/**
 * Claim/$validate (R4 Resource-validate): the findings $submit would give on a mapped Claim, without settling —
 * the native request checked by the service's own parser, and a warning when the settlement number is already
 * settled (resubmitting would answer that settlement, or a conflict). Errors are thrown as on $submit, so the
 * route turns them into the same OperationOutcome issues.
 */
import type * as fhir4 from 'fhir/r4.js';
import { InvalidInput } from '../../gateway/errors.js';
import type { SettlementBook } from '../../gateway/ledger/port.js';
import { parseRequest } from '../../gateway/service/settlements.js';
import type { MappedClaim } from './claim-to-request.js';

export async function validationOf(mapped: MappedClaim, ledger: Pick<SettlementBook, 'getSettlement'>, translated: (error: unknown) => unknown): Promise<fhir4.OperationOutcome> {
  const cancelling = mapped.status === 'cancelled';
  if (!cancelling && mapped.use === 'preauthorization') {
    throw new InvalidInput('不支持事前授权（preauthorization）', [{ path: `${mapped.origins.expressionOf('')}.use`, message: 'use claim (settle) or predetermination (preview)' }]);
  }
  if (!cancelling) {
    try { parseRequest(mapped.body); } catch (error) { throw translated(error); }
  }
  const issues: fhir4.OperationOutcomeIssue[] = [{ severity: 'information', code: 'informational', diagnostics: cancelling ? '校验通过：可据此撤销（未撤销）' : '校验通过：可据此结算（未结算）' }];
  const existing = !cancelling && mapped.hospitalId !== undefined && mapped.settlementId !== undefined ? await ledger.getSettlement(mapped.hospitalId, mapped.settlementId) : null;
  if (existing) {
    issues.push({
      severity: 'warning', code: 'duplicate', expression: [mapped.origins.expressionOf('settlementId')],
      diagnostics: `医疗机构 ${existing.hospitalId} 的结算号 ${existing.settlementId} 已结算：同一 Claim 再提交将得到原结算，内容不同则为冲突（409）`,
    });
  }
  return { resourceType: 'OperationOutcome', issue: issues };
}
