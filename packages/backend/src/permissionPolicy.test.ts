import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  reliabilityChaosApprovePermission,
  reliabilityChaosUpdatePermission,
  reliabilityEventsIngestPermission,
  reliabilityRemediationExecutePermission,
  reliabilityRunbookUpdatePermission,
  reliabilitySloReadPermission,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityPortalPolicy } from './permissionPolicy';

const user = (refs: string[]) =>
  ({
    identity: {
      type: 'user' as const,
      userEntityRef: refs[0],
      ownershipEntityRefs: refs,
    },
    info: { userEntityRef: refs[0], ownershipEntityRefs: refs },
    token: 't',
    credentials: {} as any,
  } as any);

describe('ReliabilityPortalPolicy', () => {
  it('makes Run now conditional on owning the entity', async () => {
    const decision = await new ReliabilityPortalPolicy().handle(
      { permission: reliabilityRemediationExecutePermission },
      user(['user:default/guest', 'group:default/payments-sre']),
    );
    expect(decision).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: ['user:default/guest', 'group:default/payments-sre'],
        },
      },
    });
  });

  it('makes runbook edits conditional on owning the entity', async () => {
    const decision = await new ReliabilityPortalPolicy().handle(
      { permission: reliabilityRunbookUpdatePermission },
      user(['user:default/guest']),
    );
    expect(decision).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        params: { claims: ['user:default/guest'] },
      },
    });
  });

  it('makes chaos experiment writes conditional on owning the entity; approval is open (the service refuses authors)', async () => {
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityChaosUpdatePermission },
        user(['user:default/mei']),
      ),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        params: { claims: ['user:default/mei'] },
      },
    });
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityChaosApprovePermission },
        user(['user:default/ana']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('refuses a request with no user (services are decided by the suite, never by this policy)', async () => {
    expect(
      await new ReliabilityPortalPolicy().handle({
        permission: reliabilityEventsIngestPermission,
      }),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await new ReliabilityPortalPolicy().handle({
        permission: reliabilitySloReadPermission,
      }),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('grants ingest to the owners of the entity, and no other user', async () => {
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityEventsIngestPermission },
        user(['user:default/dev', 'group:default/web']),
      ),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        params: { claims: ['user:default/dev', 'group:default/web'] },
      },
    });
  });

  it('allows reading', async () => {
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilitySloReadPermission },
        user(['user:default/x']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });
});
