/** Which failures of Redis are "down, retry" (503, nothing committed) rather than a bug (500). */
import { describe, expect, it } from 'vitest';
import { fromDependency } from '../../gateway/http/problems.js';

const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('fromDependency', () => {
  it.each([
    'READONLY You can\'t write against a read only replica.',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.',
    'CLUSTERDOWN The cluster is down',
    'LOADING Redis is loading the dataset in memory',
    'Connection is closed.',
  ])('answers 503 with Retry-After for "%s": the command was refused, nothing committed', (message) => {
    const problem = fromDependency(replyError(message));
    expect(problem?.status).toBe(503);
  });

  it('leaves anything else to the bug path (500): a script error is ours', () => {
    expect(fromDependency(replyError('ERR Error running script (call to f_1234): invalid argument'))).toBeNull();
    expect(fromDependency('not an error')).toBeNull();
  });
});
