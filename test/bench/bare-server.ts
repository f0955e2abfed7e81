/** The baseline of the HTTP benchmark: express 5 that only parses the same JSON body and answers. */
import express from 'express';

const app = express();
app.use(express.json({ limit: 2 * 1024 * 1024 }));
app.post('/bare', (req, res) => { res.status(201).json({ items: Array.isArray(req.body?.items) ? req.body.items.length : 0 }); });
app.get('/', (_req, res) => { res.send('ok'); });
app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
