import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  reliabilityChaosApprovePermission,
  reliabilityChaosUpdatePermission,
  reliabilityEventsIngestPermission,
  reliabilityGateOverridePermission,
  reliabilityIncidentManagePermission,
  reliabilityIncidentUpdatePermission,
  reliabilityRegistryImportPermission,
  reliabilityRemediationExecutePermission,
  reliabilityRunbookUpdatePermission,
  reliabilitySloReadPermission,
} from '@reliability-suite/plugin-reliability-common';
import { ConfigReader } from '@backstage/config';
import {
  ReliabilityPortalPolicy,
  readPortalPolicyOptions,
} from './permissionPolicy';

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

  it('makes chaos experiment writes conditional on owning the entity; approval is for non-production entities only (the service refuses authors)', async () => {
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
    // unset chaosApprovers: nobody approves on production entities
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityChaosApprovePermission },
        user(['user:default/ana', 'group:default/platform-sre']),
      ),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        not: {
          rule: 'HAS_SPEC',
          resourceType: 'catalog-entity',
          params: { key: 'lifecycle', value: 'production' },
        },
      },
    });
  });

  it('lets users declare incidents, and keeps working one to the owners of its entity', async () => {
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityIncidentManagePermission },
        user(['user:default/stranger']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityIncidentUpdatePermission },
        user(['user:default/guest', 'group:default/payments-sre']),
      ),
    ).toEqual({
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

  it('gives the organisation registries to no user while platformGroups is unset', async () => {
    expect(
      await new ReliabilityPortalPolicy().handle(
        { permission: reliabilityRegistryImportPermission },
        user(['user:default/pat', 'group:default/platform']),
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
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

describe('ReliabilityPortalPolicy with reliability.permissions', () => {
  const policy = new ReliabilityPortalPolicy({
    chaosApprovers: ['group:default/chaos-approvers'],
    platformGroups: ['group:default/platform'],
    gateOverriders: ['group:default/release-managers'],
  });

  it('lets only the gate overriders override the deploy gate (owners neither), and nobody when unset', async () => {
    expect(
      await policy.handle(
        { permission: reliabilityGateOverridePermission },
        user(['user:default/rm', 'group:default/Release-Managers']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await policy.handle(
        { permission: reliabilityGateOverridePermission },
        user(['user:default/guest', 'group:default/payments-sre']),
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      await new ReliabilityPortalPolicy({
        platformGroups: ['group:default/release-managers'],
      }).handle(
        { permission: reliabilityGateOverridePermission },
        user(['user:default/rm', 'group:default/release-managers']),
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('lets only the platform groups import the registries', async () => {
    expect(
      await policy.handle(
        { permission: reliabilityRegistryImportPermission },
        user(['user:default/pat', 'group:default/Platform']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await policy.handle(
        { permission: reliabilityRegistryImportPermission },
        user(['user:default/dev', 'group:default/web']),
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('lets only the chaos approvers approve on production entities', async () => {
    expect(
      await policy.handle(
        { permission: reliabilityChaosApprovePermission },
        user(['user:default/ana', 'group:default/chaos-approvers']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
    expect(
      await policy.handle(
        { permission: reliabilityChaosApprovePermission },
        user(['user:default/dev', 'group:default/web']),
      ),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        not: {
          rule: 'HAS_SPEC',
          resourceType: 'catalog-entity',
          params: { key: 'lifecycle', value: 'production' },
        },
      },
    });
  });

  it('reads the keys, logging how to set each one left unset', () => {
    const info = jest.fn();
    expect(
      readPortalPolicyOptions(
        new ConfigReader({
          reliability: {
            permissions: {
              platformGroups: ['group:default/platform'],
              gateOverriders: ['group:default/release-managers'],
            },
          },
        }),
        { info },
      ),
    ).toStrictEqual({
      chaosApprovers: undefined,
      platformGroups: ['group:default/platform'],
      gateOverriders: ['group:default/release-managers'],
    });
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0][0]).toContain(
      'reliability.permissions.chaosApprovers',
    );
  });
});
