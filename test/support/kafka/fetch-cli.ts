/**
 * `npm run kafka:fetch`: resolves Apache Kafka's jars for the tests into the cache outside the work
 * tree (Maven, once); a warm cache returns at once without starting Maven. CI runs it before the tests.
 */
import { kafkaCacheDir, kafkaJars } from './jars.js';

const started = Date.now();
const jars = await kafkaJars();
console.log(`Apache Kafka ${jars.version}: ${jars.classpath.split(':').length} jars in ${kafkaCacheDir()} (${jars.downloaded ? `downloaded with Maven in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'cached, Maven not run'})`);
