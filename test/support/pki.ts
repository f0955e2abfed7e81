/**
 * A throw-away certificate authority for TLS tests, made by openssl in a temp dir: a CA, a server
 * certificate for 127.0.0.1 and localhost, and client certificates on demand. A second makePki() is an
 * unrelated CA whose certificates the first one's peers do not trust. EC P-256 keys: quick to make.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertFiles { cert: string; key: string }
export interface TestPki {
  dir: string;
  /** The CA's certificate (PEM file): what a peer trusts. */
  ca: string;
  server: CertFiles;
  /** Issue another certificate signed by this CA (clients: CN is the client's name). */
  issue(name: string, kind: 'server' | 'client'): Promise<CertFiles>;
  remove(): Promise<void>;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 20_000 });
}

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`);
  return { cert, key };
}

async function issueFrom(dir: string, ca: { cert: string; key: string }, name: string, kind: 'server' | 'client'): Promise<CertFiles> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, kind === 'server'
    // clientAuth too: a Redis Cluster node presents its server certificate to its peers on the bus.
    ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n'
    : 'extendedKeyUsage=clientAuth\n');
  await openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`);
  await openssl(dir, 'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext);
  return { cert, key };
}

export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-pki-'));
  const ca = await makeCa(dir, 'test-ca');
  const server = await issueFrom(dir, ca, 'server', 'server');
  return {
    dir,
    ca: ca.cert,
    server,
    issue: (name, kind) => issueFrom(dir, ca, name, kind),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
