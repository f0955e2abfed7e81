/**
 * The HTTP call a piece of work belongs to, carried implicitly (AsyncLocalStorage): every route —
 * adapters' included — that settles or reverses through the service is held to its call's deadline
 * (service/settlements.ts CallControl) without passing it along by hand. Work outside any call (the
 * Kafka intake) has none.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallControl } from './settlements.js';

export const callContext = new AsyncLocalStorage<CallControl>();

/** The current call's control, if the work runs inside an HTTP call. */
export const currentCall = (): CallControl | undefined => callContext.getStore();
