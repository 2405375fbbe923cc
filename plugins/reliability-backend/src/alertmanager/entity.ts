import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

const ENTITY_NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_.';

/** The entity an Alertmanager alert is about: `entity` (a full ref), else `service` as a component in default. */
export function alertEntityRef(
  labels: Record<string, string>,
): string | undefined {
  try {
    let ref: { kind: string; namespace: string; name: string } | undefined;
    if (labels.entity)
      ref = parseEntityRef(labels.entity, {
        defaultKind: 'component',
        defaultNamespace: 'default',
      });
    else if (labels.service)
      ref = { kind: 'component', namespace: 'default', name: labels.service };
    // only what could name a catalog entity goes to the catalog: any other value stays a label
    if (
      ref &&
      [ref.kind, ref.namespace, ref.name].every(
        p =>
          p.length >= 1 &&
          p.length <= 253 &&
          [...p].every(c => ENTITY_NAME_CHARS.includes(c.toLowerCase())),
      )
    ) {
      return stringifyEntityRef(ref);
    }
  } catch {
    // not a ref: no entity
  }
  return undefined;
}
