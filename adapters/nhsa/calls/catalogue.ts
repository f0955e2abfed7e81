/** 3301 目录对照上传 and 3302 目录对照撤销: the hospital's item codes mapped to national codes (catalogue/mappings.ts). */
import * as z from 'zod';
import { NhsaFault } from '../fault.js';
import { mappingInput } from '../catalogue/mappings.js';
import { parse, type Call } from './context.js';

const input3301 = z.object({ data: mappingInput });
const input3302 = z.object({
  data: z.object({
    fixmedins_code: z.string().optional(),
    fixmedins_hilist_id: z.string().min(1, '必填项缺失').max(150),
    list_type: z.string().regex(/^\d{3}$/, '目录类别应为 3 位代码'),
    med_list_codg: z.string().min(1, '必填项缺失').max(50),
  }),
});

/**
 * 3301: one mapping, with its period; from its begndate the hospital's rows carrying fixmedins_hilist_id as
 * medins_list_codg classify by the national code it names. The same mapping again answers done (a retry).
 */
export const uploadMapping: Call = async ({ envelope, classifier }) => {
  const { data } = parse(input3301, envelope.input);
  const outcome = await classifier.mappings.add(envelope.fixmedins_code, data, `3301 ${envelope.msgid}`);
  const known = classifier.catalogue?.entryOn(data.med_list_codg, data.begndate);
  const warn = [
    outcome === 'already' ? '该对照已存在（同一期间、同一医保目录编码），未重复登记' : '',
    classifier.catalogue && !known ? `医保目录（${data.begndate} 有效的版本）中无编码 ${data.med_list_codg}：对照后该项目按丙类（全自费）计` : '',
  ].filter((w) => w).join('；');
  return { output: {}, ...(warn ? { warn_msg: warn } : {}) };
};

/** 3302: the item's mapping to that national code taken back (every period of it). */
export const revokeMapping: Call = async ({ envelope, classifier }) => {
  const { data } = parse(input3302, envelope.input);
  if (data.fixmedins_code !== undefined && data.fixmedins_code !== envelope.fixmedins_code) {
    throw new NhsaFault('input.data.fixmedins_code：与报文的定点医药机构编号不一致');
  }
  const removed = await classifier.mappings.remove(envelope.fixmedins_code, data.fixmedins_hilist_id, data.med_list_codg);
  if (removed === 0) throw new NhsaFault(`input.data.fixmedins_hilist_id：${data.fixmedins_hilist_id} 没有对照为 ${data.med_list_codg} 的目录对照`);
  return { output: {} };
};
