/** Builders of settlement requests for tests and benchmarks. */
import { settlementRequest, type SettlementRequest, type SettlementRequestInput } from '../../schemas/settlement.js';

type Overrides = {
  settlementId?: string;
  hospital?: Partial<SettlementRequestInput['hospital']>;
  patient?: Partial<SettlementRequestInput['patient']>;
  encounter?: Partial<SettlementRequestInput['encounter']>;
  items?: SettlementRequestInput['items'];
  upstream?: SettlementRequestInput['upstream'];
};

/** A request body as a hospital would send it (JSON-ready), defaulting to the demo region 990000 in 2024. */
export function requestBody(o: Overrides = {}): SettlementRequestInput {
  return {
    settlementId: o.settlementId ?? 'ZY2024000001',
    hospital: { id: 'H99000000001', region: '990100', level: 3, drgPublic: true, ...o.hospital },
    patient: { id: '990100198001011234', name: '张三', insuredRegion: '990100', scheme: 'resident', categories: [], basicInsuranceActive: true, ...o.patient },
    encounter: { kind: 'inpatient', admittedOn: '2024-03-01', dischargedOn: '2024-03-10', diagnoses: [{ icd10: 'J18.9', primary: true }], cause: 'disease', thirdPartyLiable: false, ...o.encounter },
    items: o.items ?? [{ code: 'A1', name: '综合费用', amount: '10000.00', class: 'A' }],
    ...(o.upstream ? { upstream: o.upstream } : {}),
  };
}

export function request(o: Overrides = {}): SettlementRequest {
  return settlementRequest.parse(requestBody(o));
}

/** One class-A item of the given compliant amount. */
export const compliantItems = (amount: string) => [{ code: 'A1', name: '政策范围内费用', amount, class: 'A' as const }];

/** A realistic 20-item bill: A, B with self-pay ratios, C, and an over-limit bed fee. */
export function twentyItemBill(seed = 1): SettlementRequestInput['items'] {
  const items: SettlementRequestInput['items'] = [];
  for (let i = 0; i < 20; i++) {
    const yuan = ((seed * 7919 + i * 104729) % 300000) / 100 + 10;
    const amount = yuan.toFixed(2);
    const kind = i % 5;
    if (kind === 0) items.push({ code: `XB${i}`, name: `乙类药${i}`, amount, class: 'B', selfPayRatio: '0.10' });
    else if (kind === 1) items.push({ code: `F${i}`, name: `目录外耗材${i}`, amount, class: 'C' });
    else if (kind === 2) items.push({ code: `BED${i}`, name: `床位费${i}`, amount, class: 'A', overLimit: '5.00' });
    else items.push({ code: `XA${i}`, name: `甲类项目${i}`, amount, class: 'A' });
  }
  return items;
}
