import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  reliabilityAllPermissions,
  reliabilityCapacityRecordPermission,
  reliabilityChangesRecordPermission,
  reliabilityEventsIngestPermission,
  reliabilitySloCorrectPermission,
  reliabilitySloReadPermission,
} from '@reliability-suite/plugin-reliability-common';
import { ServicePrincipalPermissions } from './ServicePrincipalPermissions';

/** Backstage's own service decision: every permission the access restrictions do not exclude. */
const backstage = () => {
  const asked: string[] = [];
  const answer = async (requests: { permission: { name: string } }[]) => {
    asked.push(...requests.map(r => r.permission.name));
    return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
  };
  return {
    asked,
    inner: mockServices.permissions.mock({
      authorize: answer as any,
      authorizeConditional: answer as any,
    }),
  };
};

const DEFAULTS = [
  reliabilitySloReadPermission,
  reliabilityEventsIngestPermission,
  reliabilityCapacityRecordPermission,
  reliabilityChangesRecordPermission,
].map(p => p.name);

describe('ServicePrincipalPermissions', () => {
  it('lets a service without restrictions read and report, and refuses it every other permission of the suite', async () => {
    const { inner, asked } = backstage();
    const permissions = new ServicePrincipalPermissions(inner);
    const decisions = await permissions.authorize(
      reliabilityAllPermissions.map(permission => ({ permission })) as any,
      { credentials: mockCredentials.service('external:ci') },
    );
    const allowed = reliabilityAllPermissions
      .filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW)
      .map(p => p.name);
    expect(allowed.sort()).toEqual([...DEFAULTS].sort());
    // the refused ones never reach Backstage; the others do, in order
    expect(asked).toEqual(
      reliabilityAllPermissions
        .map(p => p.name)
        .filter(n => DEFAULTS.includes(n)),
    );
  });

  it('grants a further permission when the token’s access restrictions name it', async () => {
    const { inner } = backstage();
    const permissions = new ServicePrincipalPermissions(inner);
    const credentials = mockCredentials.service('external:chaos-engine', {
      permissionNames: [reliabilitySloCorrectPermission.name],
    });
    const [decision] = await permissions.authorizeConditional(
      [{ permission: reliabilitySloCorrectPermission }],
      { credentials },
    );
    expect(decision.result).toBe(AuthorizeResult.ALLOW);
    const [other] = await permissions.authorizeConditional(
      [{ permission: reliabilitySloCorrectPermission }],
      { credentials: mockCredentials.service('external:other') },
    );
    expect(other.result).toBe(AuthorizeResult.DENY);
  });

  it('passes users and other plugins’ permissions through unchanged', async () => {
    const { inner, asked } = backstage();
    const permissions = new ServicePrincipalPermissions(inner);
    const [user] = await permissions.authorize(
      [{ permission: reliabilitySloCorrectPermission }] as any,
      { credentials: mockCredentials.user('user:default/ana') },
    );
    expect(user.result).toBe(AuthorizeResult.ALLOW);
    const [catalog] = await permissions.authorize(
      [
        {
          permission: {
            name: 'catalog.entity.delete',
            type: 'basic',
            attributes: {},
          },
        },
      ] as any,
      { credentials: mockCredentials.service() },
    );
    expect(catalog.result).toBe(AuthorizeResult.ALLOW);
    expect(asked).toEqual([
      reliabilitySloCorrectPermission.name,
      'catalog.entity.delete',
    ]);
  });
});
