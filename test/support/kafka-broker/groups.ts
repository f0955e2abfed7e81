/**
 * Consumer group coordinator: the classic (pre-KIP-848) join/sync protocol.
 *
 * States follow Kafka's GroupMetadata: Empty -> PreparingRebalance ->
 * CompletingRebalance -> Stable. A rebalance completes when every known member
 * has re-sent JoinGroup, or when the rebalance timeout expires (stragglers are
 * evicted). Members that stop heartbeating for sessionTimeout are evicted and
 * trigger a rebalance. Committed offsets live here too, since the group
 * coordinator owns them in Kafka.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type ErrorCodeValue } from './errors.js';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
}

export interface JoinResult {
  error: ErrorCodeValue;
  generationId: number;
  protocol: string;
  leaderId: string;
  memberId: string;
  members: { memberId: string; metadata: Buffer }[];
}

export interface SyncResult {
  error: ErrorCodeValue;
  assignment: Buffer;
}

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

interface Member {
  id: string;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  assignment: Buffer;
  joinWaiter: ((r: JoinResult) => void) | null;
  syncWaiter: ((r: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

const MIN_SESSION_MS = 1;
const MAX_SESSION_MS = 30 * 60 * 1000;

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocol: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  rebalanceTimer: NodeJS.Timeout | null = null;
  readonly offsets = new Map<string, CommittedOffset & { topic: string; partition: number }>();
  constructor(readonly id: string) {}
}

const sameProtocols = (a: Protocol[], b: Protocol[]): boolean =>
  a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.metadata.equals(b[i]?.metadata ?? Buffer.alloc(0)));

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  private getOrCreate(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = new Group(groupId);
      this.groups.set(groupId, g);
    }
    return g;
  }

  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (error: ErrorCodeValue): Promise<JoinResult> =>
      Promise.resolve({ error, generationId: -1, protocol: '', leaderId: '', memberId: req.memberId, members: [] });
    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < MIN_SESSION_MS || req.sessionTimeoutMs > MAX_SESSION_MS) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const g = this.getOrCreate(req.groupId);
    if (req.memberId !== '' && !g.members.has(req.memberId)) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (g.members.size > 0 && !this.compatible(g, req)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    let m = g.members.get(req.memberId);
    if (!m) {
      m = {
        id: `${req.clientId || 'member'}-${randomUUID()}`,
        clientId: req.clientId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        assignment: Buffer.alloc(0),
        joinWaiter: null,
        syncWaiter: null,
        sessionTimer: null,
      };
      g.members.set(m.id, m);
      if (g.members.size === 1) g.protocolType = req.protocolType;
    } else {
      const unchanged = sameProtocols(m.protocols, req.protocols);
      // Kafka answers a rejoin with unchanged metadata from the current generation
      // instead of forcing everyone through another rebalance (the leader in
      // Stable always rebalances so it can recompute assignments).
      if (
        unchanged &&
        (g.state === 'CompletingRebalance' || (g.state === 'Stable' && g.leaderId !== m.id))
      ) {
        this.touch(g, m);
        return Promise.resolve(this.joinResult(g, m));
      }
      m.protocols = req.protocols;
      m.sessionTimeoutMs = req.sessionTimeoutMs;
      m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    }

    const member = m;
    const result = new Promise<JoinResult>((resolve) => {
      member.joinWaiter?.({ ...this.joinResult(g, member), error: ErrorCode.UNKNOWN_MEMBER_ID });
      member.joinWaiter = resolve;
    });
    // While parked in JoinGroup the member is covered by the rebalance timeout, not its session.
    this.clearSession(member);
    if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g);
    else this.prepareRebalance(g);
    return result;
  }

  sync(groupId: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<SyncResult> {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    const fail = (error: ErrorCodeValue): Promise<SyncResult> => Promise.resolve({ error, assignment: Buffer.alloc(0) });
    if (!g || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== g.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (g.state === 'PreparingRebalance' || g.state === 'Empty') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touch(g, m);
    if (g.state === 'Stable') return Promise.resolve({ error: ErrorCode.NONE, assignment: m.assignment });

    const p = new Promise<SyncResult>((resolve) => {
      m.syncWaiter?.({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
      m.syncWaiter = resolve;
    });
    if (memberId === g.leaderId) {
      const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const member of g.members.values()) member.assignment = byMember.get(member.id) ?? Buffer.alloc(0);
      g.state = 'Stable';
      for (const member of g.members.values()) {
        const w = member.syncWaiter;
        member.syncWaiter = null;
        w?.({ error: ErrorCode.NONE, assignment: member.assignment });
      }
    }
    return p;
  }

  heartbeat(groupId: string, generationId: number, memberId: string): ErrorCodeValue {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(g, m);
    // Heartbeat errors are how members learn that someone else triggered a rebalance.
    return g.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, memberId: string): ErrorCodeValue {
    const g = this.groups.get(groupId);
    const m = g?.members.get(memberId);
    if (!g || !m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.remove(g, m);
    return ErrorCode.NONE;
  }

  /** Validate an OffsetCommit against group membership (the generation -1 path is for standalone/admin commits). */
  checkCommit(groupId: string, generationId: number, memberId: string): ErrorCodeValue {
    const g = this.groups.get(groupId);
    if (!g || (generationId < 0 && g.state === 'Empty')) return ErrorCode.NONE;
    if (g.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    const m = g.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(g, m);
    return ErrorCode.NONE;
  }

  commitOffsets(groupId: string, entries: { topic: string; partition: number; offset: number; metadata: string | null }[]): void {
    const g = this.getOrCreate(groupId);
    for (const e of entries) g.offsets.set(tpKey(e.topic, e.partition), { ...e });
  }

  committed(groupId: string): (CommittedOffset & { topic: string; partition: number })[] {
    return [...(this.groups.get(groupId)?.offsets.values() ?? [])];
  }

  committedOffset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.offsets.get(tpKey(topic, partition));
  }

  /** Cancel all timers (used when the broker is discarded; stop/restart keeps timers running like a live coordinator). */
  dispose(): void {
    for (const g of this.groups.values()) {
      if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) this.clearSession(m);
    }
  }

  private compatible(g: Group, req: JoinRequest): boolean {
    if (g.protocolType !== req.protocolType) return false;
    const names = new Set(req.protocols.map((p) => p.name));
    return [...g.members.values()].every((m) => m.id === req.memberId || m.protocols.some((p) => names.has(p.name)));
  }

  private joinResult(g: Group, m: Member): JoinResult {
    const isLeader = g.leaderId === m.id;
    return {
      error: ErrorCode.NONE,
      generationId: g.generationId,
      protocol: g.protocol ?? '',
      leaderId: g.leaderId ?? '',
      memberId: m.id,
      members: isLeader
        ? [...g.members.values()].map((x) => ({
            memberId: x.id,
            metadata: x.protocols.find((p) => p.name === g.protocol)?.metadata ?? Buffer.alloc(0),
          }))
        : [],
    };
  }

  private prepareRebalance(g: Group): void {
    g.state = 'PreparingRebalance';
    for (const m of g.members.values()) {
      const w = m.syncWaiter;
      m.syncWaiter = null;
      w?.({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
    }
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    const timeout = Math.max(0, ...[...g.members.values()].map((m) => m.rebalanceTimeoutMs));
    g.rebalanceTimer = setTimeout(() => this.completeJoin(g), timeout);
    g.rebalanceTimer.unref();
    this.maybeCompleteJoin(g);
  }

  private maybeCompleteJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    for (const m of g.members.values()) if (!m.joinWaiter) return;
    this.completeJoin(g);
  }

  private completeJoin(g: Group): void {
    if (g.state !== 'PreparingRebalance') return;
    if (g.rebalanceTimer) clearTimeout(g.rebalanceTimer);
    g.rebalanceTimer = null;
    // Members that did not rejoin within the rebalance timeout are out.
    for (const m of [...g.members.values()]) if (!m.joinWaiter) this.drop(g, m);
    g.generationId += 1;
    if (g.members.size === 0) {
      g.state = 'Empty';
      g.protocol = null;
      g.leaderId = null;
      g.protocolType = null;
      return;
    }
    const members = [...g.members.values()];
    if (!g.leaderId || !g.members.has(g.leaderId)) g.leaderId = members[0]?.id ?? null;
    g.protocol = this.chooseProtocol(members);
    g.state = 'CompletingRebalance';
    for (const m of members) {
      m.assignment = Buffer.alloc(0);
      const w = m.joinWaiter;
      m.joinWaiter = null;
      this.touch(g, m);
      w?.(this.joinResult(g, m));
    }
  }

  /** Protocol supported by every member with the most first-preference votes, like Kafka's vote. */
  private chooseProtocol(members: Member[]): string {
    const candidates = (members[0]?.protocols ?? [])
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const pick = m.protocols.find((p) => candidates.includes(p.name));
      if (pick) votes.set(pick.name, (votes.get(pick.name) ?? 0) + 1);
    }
    let best = candidates[0] ?? '';
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  private touch(g: Group, m: Member): void {
    this.clearSession(m);
    m.sessionTimer = setTimeout(() => {
      m.sessionTimer = null;
      if (g.members.get(m.id) === m && !m.joinWaiter) this.remove(g, m);
    }, m.sessionTimeoutMs);
    m.sessionTimer.unref();
  }

  private clearSession(m: Member): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    m.sessionTimer = null;
  }

  private drop(g: Group, m: Member): void {
    this.clearSession(m);
    g.members.delete(m.id);
    const jw = m.joinWaiter;
    const sw = m.syncWaiter;
    m.joinWaiter = null;
    m.syncWaiter = null;
    jw?.({ ...this.joinResult(g, m), error: ErrorCode.UNKNOWN_MEMBER_ID });
    sw?.({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) });
  }

  private remove(g: Group, m: Member): void {
    this.drop(g, m);
    if (g.state === 'Stable' || g.state === 'CompletingRebalance') this.prepareRebalance(g);
    else if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g);
  }
}
