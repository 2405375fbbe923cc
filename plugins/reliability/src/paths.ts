import { parseEntityRef } from '@backstage/catalog-model';

/**
 * The frontend's one place for links: pages of the reliability plugin (mounted at /reliability) and an entity's
 * Reliability tab. The backend answers entity refs and section ids; links are built here, from parsed refs.
 */
const ROOT = '/reliability';

const parts = (entityRef: string) => {
  const { kind, namespace, name } = parseEntityRef(entityRef, { defaultKind: 'component', defaultNamespace: 'default' });
  return { kind: kind.toLocaleLowerCase('en-US'), namespace, name };
};

/** The runbook page of an entity, at a section when given. */
export function runbookPath(entityRef: string, section?: string | null): string {
  const { kind, namespace, name } = parts(entityRef);
  return `${ROOT}/runbooks/${encodeURIComponent(kind)}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${section ? `#${section}` : ''}`;
}

/** An incident's page. */
export function incidentPath(id: number): string {
  return `${ROOT}/incidents/${id}`;
}

/** An entity's Reliability tab in the catalog. */
export function entityReliabilityPath(entityRef: string): string {
  const { kind, namespace, name } = parts(entityRef);
  return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/reliability`;
}
