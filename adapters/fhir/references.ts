/**
 * Resolving a Claim's references: to a resource contained in the Claim (`#id`), to an entry of the
 * submitted Bundle (by fullUrl or `Type/id`), or — for Patient and Coverage only — by reading it from
 * the hospital's own FHIR server (hospital-servers.ts). An absolute URL is read only when it lies under
 * the hospital's configured base URL: the gateway never fetches an address a request names.
 */
import type * as z from 'zod';
import { GatewayError, InvalidInput, Unprocessable } from '../../gateway/errors.js';
import type { Reference } from './input-schemas.js';
import { notUnderstood } from './modifiers.js';
import { NotSupported } from './outcome.js';
import { fhirFieldErrors } from './paths.js';

export type RemoteType = 'Patient' | 'Coverage';
export interface RemoteReader {
  /** The hospital's FHIR base URL, if one is configured. */
  baseUrlOf(hospitalId: string): string | undefined;
  read(hospitalId: string, resourceType: RemoteType, id: string): Promise<unknown>;
}

export interface Located<T> {
  resource: T;
  /** FHIRPath of the resource in what was submitted, or `Patient/123` for one read from the hospital's server. */
  path: string;
  /** The reference as the answer should repeat it. */
  reference: string;
}

interface LocalResource { resourceType: string; id?: string | undefined }
interface LocalEntry { resource: LocalResource; fullUrl?: string | undefined; path: string }

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})$/;

export class ReferenceResolver {
  private readonly entries: LocalEntry[];

  constructor(
    private readonly claimPath: string,
    contained: readonly LocalResource[],
    bundleEntries: ReadonlyArray<{ resource: LocalResource; fullUrl?: string | undefined; path: string }>,
    private readonly remote: RemoteReader,
  ) {
    this.entries = [
      ...contained.map((resource, i) => ({ resource, fullUrl: resource.id ? `#${resource.id}` : undefined, path: `${claimPath}.contained[${i}]` })),
      ...bundleEntries.map((e) => ({ resource: e.resource, fullUrl: e.fullUrl, path: e.path })),
    ];
  }

  /** The local resource of a type when there is exactly one (an Encounter the Claim does not reference, in a Bundle). */
  only<T>(type: string, schema: z.ZodType<T>): Located<T> | undefined {
    const found = this.entries.filter((e) => e.resource.resourceType === type);
    if (found.length !== 1) return undefined;
    return this.parse(found[0]!, schema);
  }

  local<T>(ref: Reference, refPath: string, type: string, schema: z.ZodType<T>): Located<T> | undefined {
    const target = ref.reference;
    if (target === undefined) return undefined;
    const entry = this.entries.find((e) => e.fullUrl === target
      || (e.resource.id !== undefined && `${e.resource.resourceType}/${e.resource.id}` === target)
      || (e.fullUrl !== undefined && !target.startsWith('#') && e.fullUrl.endsWith(`/${target}`)));
    if (!entry) return undefined;
    if (entry.resource.resourceType !== type) {
      throw new InvalidInput('引用的资源类型不符', [{ path: `${refPath}.reference`, message: `expected a ${type}, found a ${entry.resource.resourceType}` }]);
    }
    return this.parse(entry, schema, target);
  }

  /** A required reference: local first, then (Patient, Coverage) the hospital's FHIR server. */
  async resolve<T>(ref: Reference, refPath: string, type: string, schema: z.ZodType<T>, hospitalId: string | undefined): Promise<Located<T>> {
    const local = this.local(ref, refPath, type, schema);
    if (local) return local;
    const target = ref.reference;
    if (target === undefined) throw new InvalidInput(`缺少 ${type} 引用`, [{ path: `${refPath}.reference`, message: `a reference to the ${type} is required` }]);
    if (target.startsWith('#')) throw new InvalidInput('引用的内嵌资源不存在', [{ path: `${refPath}.reference`, message: `no contained resource ${target}` }]);
    if (type !== 'Patient' && type !== 'Coverage') {
      throw new InvalidInput(`${type} 须随 Claim 提交（内嵌或在 Bundle 中）`, [{ path: `${refPath}.reference`, message: `${target} is neither contained nor in the Bundle; only Patient and Coverage are read from the hospital's FHIR server` }]);
    }
    const base = hospitalId === undefined ? undefined : this.remote.baseUrlOf(hospitalId);
    if (hospitalId === undefined || base === undefined) {
      throw new Unprocessable('未配置该医院的 FHIR 服务器，无法读取引用的资源', [{ path: `${refPath}.reference`, message: `${target} is not in the submission and no FHIR server is configured for hospital ${hospitalId ?? '(unknown)'}: include the ${type} in a Bundle or as a contained resource` }]);
    }
    const relative = target.startsWith(base) ? target.slice(base.length).replace(/^\/+/, '') : target;
    const match = RELATIVE.exec(relative);
    if (!match || match[1] !== type) {
      throw new InvalidInput('引用无法解析', [{ path: `${refPath}.reference`, message: `expected ${type}/<id> relative to the hospital's FHIR server (${base}), got ${target}` }]);
    }
    let fetched: unknown;
    try {
      fetched = await this.remote.read(hospitalId, type, match[2]!);
    } catch (error) {
      // The reference that needed the read is what the caller can act on: name it.
      if (error instanceof GatewayError && error.errors.length === 0) error.errors.push({ path: `${refPath}.reference`, message: `reading ${target} from ${base}` });
      throw error;
    }
    const where = `${type}/${match[2]}`;
    const refused = notUnderstood(fetched, type);
    if (refused.length > 0) {
      throw new NotSupported(422, `医院 FHIR 服务器上的 ${where} 含有本服务不理解的修饰扩展或隐含规则，按 FHIR R4 不予处理，未结算`, [{ path: `${refPath}.reference`, message: refused.map((e) => `${e.path}: ${e.message}`).join('；') }]);
    }
    const parsed = schema.safeParse(fetched);
    if (!parsed.success) throw new Unprocessable(`医院 FHIR 服务器返回的 ${where} 不符合要求`, fhirFieldErrors(type, parsed.error.issues));
    // Absolute: relative to this gateway, `Patient/123` would name a resource it does not serve.
    return { resource: parsed.data, path: type, reference: `${base.replace(/\/+$/, '')}/${where}` };
  }

  private parse<T>(entry: LocalEntry, schema: z.ZodType<T>, reference?: string): Located<T> {
    const parsed = schema.safeParse(entry.resource);
    if (!parsed.success) throw new InvalidInput('提交的资源结构不符', fhirFieldErrors(entry.path, parsed.error.issues));
    const ref = reference ?? entry.fullUrl ?? `${entry.resource.resourceType}/${entry.resource.id ?? ''}`;
    return { resource: parsed.data, path: entry.path, reference: ref };
  }
}
