import { parseEntityRef } from '@backstage/catalog-model';

const parts = (entityRef: string) => {
  const e = parseEntityRef(entityRef);
  return [e.namespace, e.kind, e.name].map(p =>
    encodeURIComponent(p.toLocaleLowerCase('en-US')),
  );
};

/** An entity's Reliability tab in the catalog (an SLO entity's shows that SLO). */
export function reliabilityTabPath(entityRef: string): string {
  const [namespace, kind, name] = parts(entityRef);
  return `/catalog/${namespace}/${kind}/${name}/reliability`;
}

/** An entity's runbook page, at a section's anchor. */
export function runbookPath(
  pagesPath: string,
  entityRef: string,
  section: string,
): string {
  const [namespace, kind, name] = parts(entityRef);
  return `${pagesPath}/runbooks/${kind}/${namespace}/${name}#${encodeURIComponent(
    section,
  )}`;
}

/** An incident's page. */
export function incidentPath(pagesPath: string, id: number): string {
  return `${pagesPath}/incidents/${id}`;
}
