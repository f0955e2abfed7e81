/** Structured logs (pino). Personal identifiers never reach a log in clear: they are redacted or masked. */
import { destination as fileDestination, pino, type DestinationStream, type Logger } from 'pino';

/**
 * Lines held until this many bytes are waiting (about 20 access lines) or STDOUT_FLUSH_MS has passed. Written as
 * soon as the previous write was done, the access lines of a loaded gateway still cost ~30 µs of CPU a request in
 * their writes (profile), and one line per turn of the event loop 18–29 µs against 8–13 batched (docs/benchmarks-history.md).
 */
const STDOUT_BATCH_BYTES = 4096;
/** The longest a line waits for its batch: an operator tailing the log sees it within a second. */
const STDOUT_FLUSH_MS = 1000;

/**
 * Standard output by default, written asynchronously in batches (above). pino flushes what is left
 * synchronously when the process exits, so the lines before a fatal error or a SIGTERM are written too;
 * only a SIGKILL loses the last second's lines.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | DestinationStream = fileDestination({ dest: 1, sync: false, minLength: STDOUT_BATCH_BYTES, periodicFlush: STDOUT_FLUSH_MS })): Logger {
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
  }, destination as DestinationStream);
}

/**
 * An ID number as a slip may print it: never more than a third of its characters, chosen by what the
 * ID is, so a clerk can still tell two patients apart (区划 and 末四位) without the slip disclosing it.
 *   居民身份证 18 → 37************1234 (province and last four: 6 of 18);
 *   15-digit old ID → 3**********1234 (5 of 15);
 *   passport, 港澳通行证, 台湾居民身份证 and anything else → the leading letter and the last digits, a third at most
 *   (E12345678 → E******78, A123456789 → A*******89); three characters or fewer → all masked.
 */
export function maskId(id: string): string {
  const chars = [...id];
  const visibleAtMost = Math.floor(chars.length / 3);
  const [head, tail] = /^\d{17}[\dXx]$/.test(id) ? [2, 4]
    : /^\d{15}$/.test(id) ? [1, 4]
      : visibleAtMost >= 2 ? [1, visibleAtMost - 1] : [0, visibleAtMost];
  const hidden = chars.length - head - tail;
  return `${chars.slice(0, head).join('')}${'*'.repeat(hidden)}${tail > 0 ? chars.slice(-tail).join('') : ''}`;
}

/** 张三 → 张*, 欧阳娜娜 → 欧***: the family name only. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}
