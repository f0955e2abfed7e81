import { Writer } from '../codec.js';
import { ErrorCode } from '../errors.js';
import { ApiKey, type ApiHandler } from './types.js';

/** ApiVersions v0-2: advertises exactly the key/version ranges this broker decodes. */
export const apiVersions: ApiHandler = {
  key: ApiKey.ApiVersions,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 2,
  handle(_r, version, ctx) {
    const w = new Writer().int16(ErrorCode.NONE);
    w.array(ctx.supported, (w, s) => w.int16(s.key).int16(s.min).int16(s.max));
    if (version >= 1) w.int32(0);
    return w;
  },
};

/** Body sent when a client asks for an ApiVersions version we lack: v0 layout, so any client can read it. */
export function unsupportedApiVersions(ctx: { supported: readonly { key: number; min: number; max: number }[] }): Writer {
  const w = new Writer().int16(ErrorCode.UNSUPPORTED_VERSION);
  return w.array(ctx.supported, (w, s) => w.int16(s.key).int16(s.min).int16(s.max));
}
