/** Structured logs (pino). Personal identifiers never reach a log in clear: they are redacted or masked. */
import { pino, type DestinationStream, type Logger } from 'pino';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({
    level,
    base: { service: 'settlement-gateway' },
    redact: {
      paths: [
        'req.headers.authorization', 'headers.authorization', 'authorization', 'token',
        'patient.id', 'patient.name', 'personId', 'name', '*.personId', '*.patient.id', '*.patient.name', 'body', '*.body',
      ],
      censor: '[redacted]',
    },
  }, destination as DestinationStream | undefined);
}

/** 371002195001011234 → 371002********1234: region and last four, enough for a clerk to recognise. */
export function maskId(id: string): string {
  if (id.length <= 8) return `${id.slice(0, 1)}${'*'.repeat(Math.max(0, id.length - 1))}`;
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

/** 张三 → 张*, 欧阳娜娜 → 欧***. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}
