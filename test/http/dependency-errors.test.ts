/** Which failures of Redis are "down, retry" (503, nothing committed) rather than a bug (500). */
import { describe, expect, it } from 'vitest';
import { ledgerRefusal } from '../../gateway/ledger/errors.js';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('ledgerRefusal', () => {
  it.each([
    'READONLY You can\'t write against a read only replica.',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.',
    'CLUSTERDOWN The cluster is down',
    'LOADING Redis is loading the dataset in memory',
    'Connection is closed.',
    'NOREPLICAS Not enough good replicas to write.',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.',
  ])('answers 503 with Retry-After for "%s": the command was refused, nothing committed', (message) => {
    const problem = ledgerRefusal(replyError(message));
    expect(problem?.status).toBe(503);
  });

  it('answers 503 for a full Redis (OOM under noeviction) and says the operator must act, with a later Retry-After', () => {
    const full = ledgerRefusal(replyError("OOM command not allowed when used memory > 'maxmemory'. script: 83e1d8f7, on @user_script:45."));
    expect(full?.status).toBe(503);
    expect(full?.message).toContain('内存已满');
    expect(full?.message).toContain('本次未记账');
    expect(full?.retryAfterSeconds).toBeGreaterThan(ledgerRefusal(replyError('LOADING Redis is loading the dataset in memory'))?.retryAfterSeconds ?? Infinity);
  });

  it('answers 503 for a Redis that cannot write its disk (MISCONF, as a full disk under AOF answers: captured 2026-12-06, Redis 7.0.15)', () => {
    const disk = ledgerRefusal(replyError('MISCONF Errors writing to the AOF file: No space left on device script: 83e1d8f7f388487ff9bf1cc5d19320918a82093b, on @user_script:45.'));
    expect(disk?.status).toBe(503);
    expect(disk?.message).toContain('无法写入磁盘');
    expect(disk?.retryAfterSeconds).toBe(60);
  });

  it('answers 503 for a script that asked the ACL first and was refused (ACLREFUSED: nothing written), but not for a NOPERM met inside a script', () => {
    const refused = ledgerRefusal(replyError('ACLREFUSED the Redis user may not run XADD on gw:{s10-0}:outbox; nothing was written script: 83e1d8f7, on @user_script:12.'));
    expect(refused?.status).toBe(503);
    expect(refused?.message).toContain('ACL');
    expect(refused?.message).toContain('本次未记账');
    // Without the question (Redis 6), a refusal inside a script may follow its writes: not "nothing committed".
    expect(ledgerRefusal(replyError('NOPERM this user has no permissions to run the \'xadd\' command script: 83e1d8f7, on @user_script:45.'))).toBeNull();
  });

  it('leaves anything else to the bug path (500): a script error is ours', () => {
    expect(ledgerRefusal(replyError('ERR Error running script (call to f_1234): invalid argument'))).toBeNull();
    expect(ledgerRefusal('not an error')).toBeNull();
    // The relay's own answer when its group exists: not a refusal of the ledger.
    expect(ledgerRefusal(replyError('BUSYGROUP Consumer Group name already exists'))).toBeNull();
  });
});
