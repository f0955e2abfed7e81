import { apiVersions } from './apiVersions.js';
import { fetch } from './fetch.js';
import { findCoordinator, heartbeat, joinGroup, leaveGroup, offsetCommit, offsetFetch, syncGroup } from './groups.js';
import { listOffsets } from './listOffsets.js';
import { metadata } from './metadata.js';
import { produce } from './produce.js';
import { createTopics, deleteTopics } from './topics.js';
import { addOffsetsToTxn, addPartitionsToTxn, endTxn, initProducerId, txnOffsetCommit } from './transactions.js';
import type { ApiHandler } from './types.js';

export const handlers: readonly ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  apiVersions,
  createTopics,
  deleteTopics,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
];

export { unsupportedApiVersions } from './apiVersions.js';
export type { ApiHandler, RequestContext } from './types.js';
export { ApiKey } from './types.js';
