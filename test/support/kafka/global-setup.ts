/**
 * vitest globalSetup: one Apache Kafka broker for every test file of the run that needs one (a file
 * needs one when it calls kafkaUnderTest), its bootstrap address handed to the workers through
 * provide/inject. Not started when KAFKA_BROKERS points at an external cluster, nor for a run whose
 * files need no Kafka. Also reaps JVMs an earlier, crashed run left behind, and at the end every JVM
 * of this run, wherever a worker started it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startKafka } from './cluster.js';
import { externalBrokers } from './external.js';
import { reapJvms, RUN_ID_ENV } from './reaper.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap addresses of the run's shared broker; empty when no broker was started. */
    kafkaBrokers: string[];
  }
}

/** The CLI's file filters; vitest keeps them on an internal field, absent when the whole suite runs. */
function fileFilters(project: TestProject): string[] | undefined {
  return (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
}

async function runNeedsKafka(project: TestProject): Promise<boolean> {
  const { testFiles } = await project.globTestFiles(fileFilters(project));
  return testFiles.some((file) => readFileSync(file, 'utf8').includes('kafkaUnderTest('));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomUUID();
  process.env[RUN_ID_ENV] = runId; // workers forked from here on inherit it
  reapJvms();
  project.provide('kafkaBrokers', []);
  if (externalBrokers().length > 0 || !(await runNeedsKafka(project))) return async () => { reapJvms(runId); };
  const kafka = await startKafka({ brokers: 1 });
  project.provide('kafkaBrokers', kafka.brokers);
  return async () => {
    await kafka.stop();
    reapJvms(runId);
  };
}
