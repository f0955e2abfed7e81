/**
 * A second baseline of the HTTP benchmark: Node's own http server reading and parsing the same JSON body,
 * without express. Beside bare express it shows what the framework costs per request before any work.
 */
import { createServer } from 'node:http';

createServer((req, res) => {
  if (req.method !== 'POST') { res.end('ok'); return; }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: unknown };
    const answer = JSON.stringify({ items: Array.isArray(body.items) ? body.items.length : 0 });
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
}).listen(Number(process.env.PORT ?? 0), '127.0.0.1');
