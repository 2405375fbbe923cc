import Router from 'express-promise-router';
import { NotFoundError } from '@backstage/errors';
import { remediationsQuerySchema } from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { OwnerRules } from './ownerRules';

/** Owner-written remediation rules: per entity, the rules loaded and the refusals (entity, file, rule, field). */
export function ownerRulesRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; ownerRules: OwnerRules },
) {
  const { guards, ownerRules } = deps;
  router.get('/remediation/owner-rules', async (req, res) => {
    const credentials = await guards.canRead(req);
    const query = guards.query(remediationsQuerySchema, req);
    const entityRef = query.entityRef?.toLocaleLowerCase('en-US');
    const visible = await guards.visible(
      entityRef ? [entityRef] : ownerRules.entityRefs(),
      credentials,
    );
    if (entityRef && !visible(entityRef))
      throw new NotFoundError(`No entity ${entityRef}`);
    res.json(
      ownerRules.list(entityRef, query.limit ?? 100, query.cursor, visible),
    );
  });
}
