/**
 * One POST to an insurer over node's own http/https, not fetch: fetch cannot present a client
 * certificate without an extra dependency, and mutual TLS is what insurers' (and TPAs') gateways ask of
 * a hospital. One agent per insurer keeps its connections (and TLS sessions) alive between claims.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An insurer's answer is a receipt, a few hundred bytes: more than this is cut (it is only read for an excerpt). */
const ANSWER_MAX_BYTES = 256 * 1024;

export interface PostAnswer { status: number; text: string; headers: IncomingHttpHeaders }

export interface TlsMaterial { cert: string; key: string; ca?: string }

export type InsurerAgent = HttpAgent | HttpsAgent;

export function insurerAgent(endpoint: string, tls: TlsMaterial | undefined): InsurerAgent {
  if (!endpoint.startsWith('https://')) return new HttpAgent({ keepAlive: true });
  return new HttpsAgent({ keepAlive: true, ...(tls ? { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}) } : {}) });
}

/** Rejects on a connection or TLS failure and when no whole answer came within `timeoutMs` (the message says which). */
export function postTo(url: URL, o: { agent: InsurerAgent; headers: Record<string, string>; body: Buffer; timeoutMs: number }): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', agent: o.agent, headers: { ...o.headers, 'content-length': String(o.body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (bytes < ANSWER_MAX_BYTES) chunks.push(chunk);
        bytes += chunk.length;
      });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).subarray(0, ANSWER_MAX_BYTES).toString('utf8'), headers: res.headers }); });
      res.on('error', (error) => { clearTimeout(timer); reject(error); });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer in ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('error', (error) => { clearTimeout(timer); reject(error); });
    req.end(o.body);
  });
}
