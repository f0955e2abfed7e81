import { Conflict, Unavailable } from '../errors.js';
import type { WriteGuard } from './port.js';
import { ACL_REFUSED } from './script-guard.js';

/**
 * The settlement id is claimed by another person's commit that has not (yet) stored a record: the
 * claim is written before the commit script and never removed (see README.md, "The settlement-id
 * index"). Under one hospital a settlement id names one stay of one person, so another person's
 * request under that id is a conflict even though there is no record to show.
 */
export class SettlementIdClaimed extends Conflict {
  constructor(readonly hospitalId: string, readonly settlementId: string) {
    super(`结算号 ${hospitalId}/${settlementId} 已被另一参保人的结算占用`);
  }
}

/** The caller gave up (its request timed out) before the write was sent: nothing was committed. */
export class CommitAborted extends Unavailable {
  constructor() { super('请求已超时，本次未记账；请用同一结算号重试', 1); }
}

/** The last moment a write may be called off: throws CommitAborted if the caller gave up, else marks it sent. */
export function sendingWrite(guard: WriteGuard | undefined): void {
  if (guard?.signal?.aborted) throw new CommitAborted();
  guard?.onSend?.();
}

/**
 * A refusal of the ledger's Redis that is not our bug, as the caller's 503 (retry later; nothing was committed):
 * Redis unreachable, a cluster without quorum, a failover under way (a write refused by a master turned replica,
 * READONLY, or by one that lost its master, MASTERDOWN), too few replicas to write to (NOREPLICAS), busy with a
 * long script (BUSY), full (OOM under `noeviction`), unable to persist (MISCONF: its disk is full or failing,
 * and it refuses writes until it can write the AOF or RDB again), or the gateway's Redis user not allowed a
 * command a script makes (ACLREFUSED: its ACL changed after start-up, script-guard.ts). A full or unpersisting
 * Redis refuses a script's first write, and every script checks before it writes, so nothing of it was written;
 * the others refuse the command whole. Anything else (a script's own error) is null: the bug path.
 */
export function ledgerRefusal(error: unknown): Unavailable | null {
  if (!(error instanceof Error)) return null;
  const reply = error.name === 'ReplyError' ? error.message : '';
  // Full, or without a disk to write to, stays so until an operator acts (README runbook): a later retry, not an immediate one.
  if (reply.startsWith('OOM ')) return new Unavailable('账本存储（Redis）内存已满，本次未记账；请通知运维扩容，之后用同一结算号重试', 60);
  if (reply.startsWith('MISCONF ')) return new Unavailable('账本存储（Redis）无法写入磁盘，本次未记账；请通知运维检查 Redis 的磁盘，之后用同一结算号重试', 60);
  if (reply.startsWith(`${ACL_REFUSED} `)) return new Unavailable('账本存储（Redis）不允许网关的用户执行记账所需的命令（ACL），本次未记账；请通知运维修正该用户的权限，之后用同一结算号重试', 60);
  const down = error.name === 'MaxRetriesPerRequestError' || /^(BUSY|NOREPLICAS) /.test(reply)
    || /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY|MASTERDOWN|did not answer/.test(error.message);
  return down ? new Unavailable('账本存储（Redis）暂时无法访问，本次未记账；请稍后用同一结算号重试', 2) : null;
}
