import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { NotAllowedError } from '@backstage/errors';
import type { Request } from 'express';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { createGuards } from './guards';

describe('guards.canRead', () => {
  const T0 = Date.parse('2026-11-24T10:00:00Z');
  let now = T0;
  beforeEach(() => {
    now = T0;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  /** Guards over a permission policy that answers `policy(caller)` and records who it was asked about. */
  const setup = (policy: (caller: string) => boolean) => {
    const asked: string[] = [];
    const caller = (c: any) =>
      c.principal.userEntityRef ?? `service:${c.principal.subject}`;
    const guards = createGuards({
      httpAuth: mockServices.httpAuth.mock({
        credentials: async (req: any) => req.credentials,
      }),
      permissions: mockServices.permissions.mock({
        authorize: async (requests: any[], { credentials }: any) => {
          asked.push(caller(credentials));
          return requests.map(() => ({
            result: policy(caller(credentials))
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
          }));
        },
      }) as any,
      auditor: mockServices.auditor.mock(),
      access: {} as CatalogAccess,
    });
    const read = (credentials: unknown) =>
      guards.canRead({ credentials } as unknown as Request);
    return { asked, read };
  };

  it("remembers a named caller's decision for 15 s, then asks again", async () => {
    let allowed = true;
    const { asked, read } = setup(() => allowed);
    const alice = mockCredentials.user('user:default/alice');
    await expect(read(alice)).resolves.toBe(alice);
    now += 14_000;
    await expect(read(alice)).resolves.toBe(alice);
    expect(asked).toEqual(['user:default/alice']);
    // the policy changes: it shows once the decision is 15 s old
    allowed = false;
    now += 2_000;
    await expect(read(alice)).rejects.toThrow(
      new NotAllowedError('Missing permission reliability.slo.read'),
    );
    expect(asked).toEqual(['user:default/alice', 'user:default/alice']);
  });

  it('remembers a denial as well, and each caller on its own', async () => {
    const { asked, read } = setup(c => c !== 'user:default/mallory');
    const mallory = mockCredentials.user('user:default/mallory');
    await expect(read(mallory)).rejects.toThrow(NotAllowedError);
    await expect(read(mallory)).rejects.toThrow(NotAllowedError);
    const bob = mockCredentials.user('user:default/bob');
    await expect(read(bob)).resolves.toBe(bob);
    const service = mockCredentials.service('plugin:catalog');
    await expect(read(service)).resolves.toBe(service);
    await expect(read(service)).resolves.toBe(service);
    expect(asked).toEqual([
      'user:default/mallory',
      'user:default/bob',
      'service:plugin:catalog',
    ]);
  });

  it('remembers at most 1,000 callers, the oldest forgotten first', async () => {
    const { asked, read } = setup(() => true);
    for (let i = 0; i <= 1_000; i++)
      await read(mockCredentials.user(`user:default/u${i}`));
    expect(asked).toHaveLength(1_001);
    await read(mockCredentials.user('user:default/u1000'));
    expect(asked).toHaveLength(1_001);
    await read(mockCredentials.user('user:default/u0'));
    expect(asked).toHaveLength(1_002);
  });

  it('does not remember callers without a name', async () => {
    const { asked, read } = setup(() => true);
    const nameless = {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'service' },
    };
    await read(nameless);
    await read(nameless);
    expect(asked).toEqual(['service:undefined', 'service:undefined']);
  });
});
