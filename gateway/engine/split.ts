/** The engine's result in the contract's shape: money as two-decimal strings. */
import type { Split } from '../../schemas/settlement.js';
import { formatFen } from './money.js';
import type { EngineResult } from './settle.js';

export interface SplitIdentity {
  gatewayId: string;
  settlementId: string;
  hospitalId: string;
  personId: string;
  status: Split['status'];
  settledAt?: string;
}

export function toSplit(result: EngineResult, id: SplitIdentity): Split {
  return {
    gatewayId: id.gatewayId,
    settlementId: id.settlementId,
    hospitalId: id.hospitalId,
    personId: id.personId,
    status: id.status,
    currency: 'CNY',
    total: formatFen(result.bill.totalFen),
    outOfScope: formatFen(result.bill.outOfScopeFen),
    overLimit: formatFen(result.bill.overLimitFen),
    preSelfPay: formatFen(result.bill.preSelfPayFen),
    compliant: formatFen(result.bill.compliantFen),
    lines: result.lines.map((l) => ({
      layer: l.layer,
      programme: l.programme,
      payer: l.payer,
      ...(l.fundPayType ? { fundPayType: l.fundPayType } : {}),
      mode: l.mode,
      amount: formatFen(l.amountFen),
      explanation: l.explanation,
    })),
    benefits: result.benefits.map((b) => ({ programme: b.programme, kind: b.kind, amount: formatFen(b.amountFen), paidTo: 'patient' as const, explanation: b.explanation })),
    patientPays: formatFen(result.patientPaysFen),
    policyVersions: result.policyVersions,
    ...(id.settledAt ? { settledAt: id.settledAt } : {}),
  };
}
